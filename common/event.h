/*
 * event.h: the kinds of event and who may write them (the dual-management rule, DESIGN.md).
 */
#pragma once

#include <stdbool.h>

#include "record.pb-c.h"

/* Who may originate a kind of event for a member. */
enum event_writer {
	WRITER_LOCAL = 0, /* site-local (branches): never leaves the site */
	WRITER_OUTFLOW,	  /* O: the member's outflow site */
	WRITER_INFLOW,	  /* I: his current inflow site */
	WRITER_EITHER,	  /* O or I */
	WRITER_CARETAKER, /* I while the member is away (registered out), O while he is at home */
	WRITER_RECEIVER,  /* the site his transfer letter names */
};

/* "member.registered", ... for KIND; "unknown" for a value this version does not know. Static. */
const char *event_kind_name(Ld__EventKind kind);

/* Which site may originate KIND. */
enum event_writer event_kind_writer(Ld__EventKind kind);

/*
 * Does EV carry the payload KIND needs (KIND is normally ev->kind), with what folding it relies on
 * (a certificate body that decodes and has a number, a receipt number, a transfer letter that
 * decodes and names its issuer, ...)? Kinds this version does not know pass (they are kept as
 * history). If not, *why (WHY may be NULL) receives a static reason. Until the domain core
 * (domain.h) owns the rules of each kind, this is the one list of what each kind carries.
 */
bool event_payload_ok(Ld__EventKind kind, const Ld__Event *ev, const char **why);
