/* event.c: see event.h. One table: the name, the writer and the payload of every kind. */
#include "event.h"

#include <stddef.h>

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
    [LD__EVENT_KIND__DUES_PAID] = {"dues.paid", WRITER_COLLECTOR, P(DUES_PAID)},
    [LD__EVENT_KIND__DUES_REFUNDED] = {"dues.refunded", WRITER_RECEIPT, P(DUES_REFUNDED)},
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
    [LD__EVENT_KIND__STAY_ENDED] = {"stay.ended", WRITER_OUTFLOW, P(STAY_ENDED)},
    [LD__EVENT_KIND__DUES_EXEMPTED] = {"dues.exempted", WRITER_OUTFLOW, P(EXEMPTION)},
    [LD__EVENT_KIND__BRANCH_JOINED] = {"branch.joined", WRITER_LOCAL, P(BRANCH)},
    [LD__EVENT_KIND__BRANCH_LEFT] = {"branch.left", WRITER_LOCAL, P(BRANCH)},
    [LD__EVENT_KIND__REQUEST_OPENED] = {"request.opened", WRITER_SERVICE, P(REQUEST)},
    [LD__EVENT_KIND__REQUEST_FORWARDED] = {"request.forwarded", WRITER_SERVICE, P(FORWARD)},
    [LD__EVENT_KIND__REQUEST_STEP] = {"request.step", WRITER_SERVICE, P(STEP)},
    [LD__EVENT_KIND__BRANCH_PUBLISHED] = {"branch.published", WRITER_SITE, P(BRANCH)},
    [LD__EVENT_KIND__NOTICE_SENT] = {"notice.sent", WRITER_OUTFLOW, P(NOTICE)},
    [LD__EVENT_KIND__NOTICE_ANSWERED] = {"notice.answered", WRITER_OUTFLOW, P(NOTICE_ANSWER)},
    [LD__EVENT_KIND__VISIT_RECORDED] = {"visit.recorded", WRITER_EITHER, P(VISIT)},
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

const char *event_kind_name(Ld__EventKind kind)
{
	if ((size_t)kind >= KIND_COUNT || !kinds[kind].name)
		return "unknown";
	return kinds[kind].name;
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
