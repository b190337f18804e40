/*
 * event.c: see event.h. One table: the name, the writer and the payload of every kind; and the
 * checks on a payload's content that folding it relies on (event_payload_ok).
 */
#include "event.h"

#include <stddef.h>
#include <string.h>

#include "siteid.h"

#define P(x) LD__EVENT__PAYLOAD_##x

static const struct {
	const char *name;
	enum event_writer writer;
	Ld__Event__PayloadCase payload; /* the payload the kind carries */
} kinds[] = {
    [LD__EVENT_KIND__EVENT_UNKNOWN] = {"unknown", WRITER_LOCAL, P(_NOT_SET)},
    [LD__EVENT_KIND__MEMBER_REGISTERED] = {"member.registered", WRITER_OUTFLOW, P(MEMBER_INFO)},
    [LD__EVENT_KIND__MEMBER_UPDATED] = {"member.updated", WRITER_OUTFLOW, P(MEMBER_INFO)},
    [LD__EVENT_KIND__OUTFLOW_REGISTERED] = {"outflow.registered", WRITER_OUTFLOW, P(OUTFLOW)},
    [LD__EVENT_KIND__BRANCH_ADDED] = {"branch.added", WRITER_LOCAL, P(BRANCH)},
    [LD__EVENT_KIND__CERT_ISSUED] = {"cert.issued", WRITER_OUTFLOW, P(CERT)},
    [LD__EVENT_KIND__CERT_REVOKED] = {"cert.revoked", WRITER_OUTFLOW, P(REVOKED)},
    [LD__EVENT_KIND__CERT_REVIEWED] = {"cert.reviewed", WRITER_EITHER, P(REVIEWED)},
    [LD__EVENT_KIND__CHECKIN] = {"checkin", WRITER_INFLOW, P(CHECKIN)},
    [LD__EVENT_KIND__MEETING_HELD] = {"meeting.held", WRITER_LOCAL, P(MEETING)},
    [LD__EVENT_KIND__ATTENDANCE] = {"attendance", WRITER_CARETAKER, P(ATTENDANCE)},
    [LD__EVENT_KIND__DUES_PAID] = {"dues.paid", WRITER_EITHER, P(DUES_PAID)},
    [LD__EVENT_KIND__DUES_REFUNDED] = {"dues.refunded", WRITER_EITHER, P(DUES_REFUNDED)},
    [LD__EVENT_KIND__REPORT_RECEIVED] = {"report.received", WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__CONTACT_CHANGED] = {"contact.changed", WRITER_OUTFLOW, P(CONTACT)},
    [LD__EVENT_KIND__FEEDBACK] = {"feedback", WRITER_INFLOW, P(NOTE)},
    [LD__EVENT_KIND__DEPARTURE_ASSESSED] = {"departure.assessed", WRITER_INFLOW, P(NOTE)},
    [LD__EVENT_KIND__RETURNED] = {"returned", WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__TRANSFER_ISSUED] = {"transfer.issued", WRITER_OUTFLOW, P(TRANSFER)},
    [LD__EVENT_KIND__TRANSFER_RECEIVED] = {"transfer.received", WRITER_RECEIVER, P(NOTE)},
    [LD__EVENT_KIND__PROBATION_OPINION] = {"probation.opinion", WRITER_INFLOW, P(NOTE)},
    [LD__EVENT_KIND__PROBATION_DECIDED] = {"probation.decided", WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__LAPSE_OPENED] = {"lapse.opened", WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__LAPSE_DECIDED] = {"lapse.decided", WRITER_OUTFLOW, P(NOTE)},
};

const char *event_kind_name(Ld__EventKind kind)
{
	if ((size_t)kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[kind].name)
		return "unknown";
	return kinds[kind].name;
}

enum event_writer event_kind_writer(Ld__EventKind kind)
{
	if ((size_t)kind >= sizeof(kinds) / sizeof(kinds[0]))
		return WRITER_LOCAL;
	return kinds[kind].writer;
}

static bool empty(const char *s)
{
	return !s || !s[0];
}

/* What EV's payload must hold beyond being there: NULL if it does, else why not (static). */
static const char *payload_content_problem(const Ld__Event *ev)
{
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
	case LD__EVENT_KIND__MEMBER_UPDATED:
		return empty(ev->member_info->id) ? "its member info has no identity number" : NULL;
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		if (!ev->outflow->member || empty(ev->outflow->member->id))
			return "its outflow registration has no member info";
		return NULL;
	case LD__EVENT_KIND__BRANCH_ADDED:
		return empty(ev->branch->code) ? "its branch has no code" : NULL;
	case LD__EVENT_KIND__CERT_ISSUED: {
		Ld__CertificateBody *b =
		    ld__certificate_body__unpack(NULL, ev->cert->body.len, ev->cert->body.data);
		const char *why = NULL;
		if (!b)
			why = "its certificate does not decode";
		else if (empty(b->number))
			why = "its certificate has no number";
		if (b)
			ld__certificate_body__free_unpacked(b, NULL);
		return why;
	}
	case LD__EVENT_KIND__CERT_REVOKED:
		return empty(ev->revoked->number) ? "it names no certificate" : NULL;
	case LD__EVENT_KIND__CERT_REVIEWED:
		return empty(ev->reviewed->number) ? "it names no certificate" : NULL;
	case LD__EVENT_KIND__MEETING_HELD:
		return empty(ev->meeting->id) ? "its meeting has no id" : NULL;
	case LD__EVENT_KIND__ATTENDANCE:
		return ev->attendance->meeting ? NULL : "its attendance names no meeting";
	case LD__EVENT_KIND__DUES_PAID:
		return empty(ev->dues_paid->receipt) ? "its receipt has no number" : NULL;
	case LD__EVENT_KIND__DUES_REFUNDED:
		return empty(ev->dues_refunded->receipt) ? "it names no receipt" : NULL;
	case LD__EVENT_KIND__TRANSFER_ISSUED: {
		Ld__TransferLetter *l = ld__transfer_letter__unpack(NULL, ev->transfer->letter.len,
								    ev->transfer->letter.data);
		const char *why = NULL;
		if (!l)
			why = "its transfer letter does not decode";
		else if (empty(l->number))
			why = "its transfer letter has no number";
		else if (l->issuer.len != LD_SITE_ID_BYTES)
			why = "its transfer letter has no issuer";
		if (l)
			ld__transfer_letter__free_unpacked(l, NULL);
		return why;
	}
	default:
		return NULL;
	}
}

bool event_payload_ok(Ld__EventKind kind, const Ld__Event *ev, const char **why)
{
	const char *problem = NULL;
	if ((size_t)kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[kind].name)
		problem = NULL; /* a kind from a newer version: kept as history, any payload */
	else if (kind == LD__EVENT_KIND__EVENT_UNKNOWN)
		problem = "its kind is not set";
	else if (ev->payload_case != kinds[kind].payload)
		problem = "it lacks the payload its kind needs";
	else if (ev->kind == kind)
		problem = payload_content_problem(ev);
	if (why)
		*why = problem;
	return problem == NULL;
}
