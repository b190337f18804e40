/*
 * event.c: see event.h. One table: the name, the writer and the payload of every kind. The names
 * are stored and synced; for people they are translated (context "event").
 */
#include "event.h"

#include <stddef.h>

#include "i18n.h"

#define P(x) LD__EVENT__PAYLOAD_##x

static const struct {
	const char *name;
	enum event_writer writer;
	Ld__Event__PayloadCase payload; /* the payload the kind carries */
} kinds[] = {
    [LD__EVENT_KIND__EVENT_UNKNOWN] = {NC_("event", "unknown"), WRITER_LOCAL, P(_NOT_SET)},
    [LD__EVENT_KIND__MEMBER_REGISTERED] = {NC_("event", "member.registered"), WRITER_OUTFLOW,
					   P(MEMBER_INFO)},
    [LD__EVENT_KIND__MEMBER_UPDATED] = {NC_("event", "member.updated"), WRITER_OUTFLOW,
					P(MEMBER_INFO)},
    [LD__EVENT_KIND__OUTFLOW_REGISTERED] = {NC_("event", "outflow.registered"), WRITER_OUTFLOW,
					    P(OUTFLOW)},
    [LD__EVENT_KIND__BRANCH_ADDED] = {NC_("event", "branch.added"), WRITER_LOCAL, P(BRANCH)},
    [LD__EVENT_KIND__CERT_ISSUED] = {NC_("event", "cert.issued"), WRITER_OUTFLOW, P(CERT)},
    [LD__EVENT_KIND__CERT_REVOKED] = {NC_("event", "cert.revoked"), WRITER_OUTFLOW, P(REVOKED)},
    [LD__EVENT_KIND__CERT_REVIEWED] = {NC_("event", "cert.reviewed"), WRITER_EITHER, P(REVIEWED)},
    [LD__EVENT_KIND__CHECKIN] = {NC_("event", "checkin"), WRITER_INFLOW, P(CHECKIN)},
    [LD__EVENT_KIND__MEETING_HELD] = {NC_("event", "meeting.held"), WRITER_LOCAL, P(MEETING)},
    [LD__EVENT_KIND__ATTENDANCE] = {NC_("event", "attendance"), WRITER_CARETAKER, P(ATTENDANCE)},
    [LD__EVENT_KIND__DUES_PAID] = {NC_("event", "dues.paid"), WRITER_COLLECTOR, P(DUES_PAID)},
    [LD__EVENT_KIND__DUES_REFUNDED] = {NC_("event", "dues.refunded"), WRITER_RECEIPT,
				       P(DUES_REFUNDED)},
    [LD__EVENT_KIND__REPORT_RECEIVED] = {NC_("event", "report.received"), WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__CONTACT_CHANGED] = {NC_("event", "contact.changed"), WRITER_OUTFLOW,
					 P(CONTACT)},
    [LD__EVENT_KIND__FEEDBACK] = {NC_("event", "feedback"), WRITER_INFLOW, P(NOTE)},
    [LD__EVENT_KIND__DEPARTURE_ASSESSED] = {NC_("event", "departure.assessed"), WRITER_INFLOW,
					    P(NOTE)},
    [LD__EVENT_KIND__RETURNED] = {NC_("event", "returned"), WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__TRANSFER_ISSUED] = {NC_("event", "transfer.issued"), WRITER_OUTFLOW,
					 P(TRANSFER)},
    [LD__EVENT_KIND__TRANSFER_RECEIVED] = {NC_("event", "transfer.received"), WRITER_RECEIVER,
					   P(NOTE)},
    [LD__EVENT_KIND__PROBATION_OPINION] = {NC_("event", "probation.opinion"), WRITER_INFLOW,
					   P(NOTE)},
    [LD__EVENT_KIND__PROBATION_DECIDED] = {NC_("event", "probation.decided"), WRITER_OUTFLOW,
					   P(NOTE)},
    [LD__EVENT_KIND__LAPSE_OPENED] = {NC_("event", "lapse.opened"), WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__LAPSE_DECIDED] = {NC_("event", "lapse.decided"), WRITER_OUTFLOW, P(NOTE)},
    [LD__EVENT_KIND__STAY_ENDED] = {NC_("event", "stay.ended"), WRITER_OUTFLOW, P(STAY_ENDED)},
    [LD__EVENT_KIND__DUES_EXEMPTED] = {NC_("event", "dues.exempted"), WRITER_OUTFLOW, P(EXEMPTION)},
    [LD__EVENT_KIND__BRANCH_JOINED] = {NC_("event", "branch.joined"), WRITER_LOCAL, P(BRANCH)},
    [LD__EVENT_KIND__BRANCH_LEFT] = {NC_("event", "branch.left"), WRITER_LOCAL, P(BRANCH)},
    [LD__EVENT_KIND__REQUEST_OPENED] = {NC_("event", "request.opened"), WRITER_SERVICE, P(REQUEST)},
    [LD__EVENT_KIND__REQUEST_FORWARDED] = {NC_("event", "request.forwarded"), WRITER_SERVICE,
					   P(FORWARD)},
    [LD__EVENT_KIND__REQUEST_STEP] = {NC_("event", "request.step"), WRITER_SERVICE, P(STEP)},
    [LD__EVENT_KIND__BRANCH_PUBLISHED] = {NC_("event", "branch.published"), WRITER_SITE, P(BRANCH)},
    [LD__EVENT_KIND__NOTICE_SENT] = {NC_("event", "notice.sent"), WRITER_OUTFLOW, P(NOTICE)},
    [LD__EVENT_KIND__NOTICE_ANSWERED] = {NC_("event", "notice.answered"), WRITER_OUTFLOW,
					 P(NOTICE_ANSWER)},
    [LD__EVENT_KIND__VISIT_RECORDED] = {NC_("event", "visit.recorded"), WRITER_EITHER, P(VISIT)},
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

const char *event_kind_name(Ld__EventKind kind)
{
	if ((size_t)kind >= KIND_COUNT || !kinds[kind].name)
		return "unknown";
	return kinds[kind].name;
}

const char *event_kind_text(Ld__EventKind kind)
{
	const char *name = event_kind_name(kind);
	const char *t = i18n_context("event", name);
	return t ? t : name;
}

enum event_writer event_kind_writer(Ld__EventKind kind)
{
	if ((size_t)kind >= KIND_COUNT)
		return WRITER_LOCAL;
	return kinds[kind].writer;
}

Ld__Event__PayloadCase event_kind_payload(Ld__EventKind kind)
{
	if ((size_t)kind >= KIND_COUNT)
		return LD__EVENT__PAYLOAD__NOT_SET;
	return kinds[kind].payload;
}
