/*
 * event.h: the kinds of event and who may write them (the dual-management rule, DESIGN.md). What
 * the writer means for a given member, in his present state, is the domain core's (domain.h).
 */
#pragma once

#include "record.pb-c.h"

/* Who may originate a kind of event for a member. */
enum event_writer {
	WRITER_LOCAL = 0, /* site-local (branches): never leaves the site */
	WRITER_OUTFLOW,	  /* O: the member's outflow site */
	WRITER_INFLOW,	  /* I: his current inflow site */
	WRITER_EITHER,	  /* O or I */
	WRITER_CARETAKER, /* I while his stay runs (away, checked in), O otherwise */
	WRITER_COLLECTOR, /* the site that collects his dues (domain.h, dues_collector) */
	WRITER_RECEIPT,	  /* the site that issued the receipt */
	WRITER_RECEIVER,  /* the site his transfer letter names */
	WRITER_SERVICE,	  /* a request's sites: the one that took it, the one it went to (service.h)
			   */
	WRITER_SITE,	  /* the site about itself, sent to every peer: its branch directory */
};

/* "member.registered", ... for KIND; "unknown" for a value this version does not know. Static. */
const char *event_kind_name(Ld__EventKind kind);

/*
 * KIND's name as people read it in the calling thread's language (i18n.h; context "event"):
 * event_kind_name's translation, or that name itself. Static.
 */
const char *event_kind_text(Ld__EventKind kind);

/* Which site may originate KIND. */
enum event_writer event_kind_writer(Ld__EventKind kind);

/* The payload an event of KIND carries; LD__EVENT__PAYLOAD__NOT_SET for a kind this version does
 * not know. */
Ld__Event__PayloadCase event_kind_payload(Ld__EventKind kind);
