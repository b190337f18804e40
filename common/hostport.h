/*
 * hostport.h: the one parser of "HOST:PORT" addresses (peer addresses, [site] listen, `peer add
 * --address`): HOST a name, an IPv4 address or a bracketed IPv6 address, PORT 1 to 65535.
 */
#pragma once

#include <stdint.h>
#include "lderr.h"

#define LD_HOST_MAX 256

struct hostport {
	char host[LD_HOST_MAX]; /* without the brackets of an IPv6 address */
	uint16_t port;
	char port_text[6]; /* PORT as given, for getaddrinfo */
};

/*
 * Parse TEXT into *out (may be NULL: only check). Refused: no colon or nothing after it, a port
 * not a number from 1 to 65535, an empty host, a bare IPv6 address (brackets are needed), any
 * space or control character, a host longer than LD_HOST_MAX - 1. Returns 0, or LD_EINPUT with
 * *why (may be NULL) set to a static reason.
 */
int hostport_parse(const char *text, struct hostport *out, const char **why);
