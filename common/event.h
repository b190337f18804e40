/*
 * event.h: the kinds of event and who may write them (the dual-management rule, DESIGN.md).
 */
#pragma once

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
