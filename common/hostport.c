/* hostport.c: see hostport.h. */
#include "hostport.h"
#include "i18n.h"
#include "lderr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return LD_EINPUT;
}

int hostport_parse(const char *text, struct hostport *out, const char **why)
{
	for (const char *c = text; *c; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return refuse(why, _("an address has no spaces"));
	}
	const char *colon = strrchr(text, ':');
	if (!colon || !colon[1])
		return refuse(why, _("the port is missing (HOST:PORT)"));
	const char *host = text;
	size_t host_len = (size_t)(colon - text);
	if (host_len && text[0] == '[') {
		if (colon[-1] != ']' || host_len < 3)
			return refuse(why, _("an IPv6 address is written [ADDRESS]:PORT"));
		host++;
		host_len -= 2;
		if (memchr(host, '[', host_len) || memchr(host, ']', host_len))
			return refuse(why, _("an IPv6 address is written [ADDRESS]:PORT"));
	} else if (memchr(text, ':', host_len) || memchr(text, '[', host_len) ||
		   memchr(text, ']', host_len)) {
		return refuse(why, _("an IPv6 address is written [ADDRESS]:PORT"));
	}
	if (host_len == 0)
		return refuse(why, _("the host is missing (HOST:PORT)"));
	if (host_len >= LD_HOST_MAX)
		return refuse(why, _("the host name is too long"));
	unsigned long port = 0;
	size_t digits = 0;
	for (const char *p = colon + 1; *p; p++, digits++) {
		if (*p < '0' || *p > '9' || digits >= 5)
			return refuse(why, _("the port must be a number from 1 to 65535"));
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		return refuse(why, _("the port must be a number from 1 to 65535"));
	if (out) {
		memcpy(out->host, host, host_len);
		out->host[host_len] = '\0';
		out->port = (uint16_t)port;
		snprintf(out->port_text, sizeof(out->port_text), "%lu", port);
	}
	return 0;
}
