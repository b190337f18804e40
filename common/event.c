/* event.c: see event.h. Two tables: the name and writer of every kind, and its payload. */
#include "event.h"

#include <stddef.h>

static const struct {
	const char *name;
	enum event_writer writer;
} kinds[] = {
    [LD__EVENT_KIND__EVENT_UNKNOWN] = {"unknown", WRITER_LOCAL},
    [LD__EVENT_KIND__MEMBER_REGISTERED] = {"member.registered", WRITER_OUTFLOW},
    [LD__EVENT_KIND__MEMBER_UPDATED] = {"member.updated", WRITER_OUTFLOW},
    [LD__EVENT_KIND__OUTFLOW_REGISTERED] = {"outflow.registered", WRITER_OUTFLOW},
    [LD__EVENT_KIND__BRANCH_ADDED] = {"branch.added", WRITER_LOCAL},
    [LD__EVENT_KIND__CERT_ISSUED] = {"cert.issued", WRITER_OUTFLOW},
    [LD__EVENT_KIND__CERT_REVOKED] = {"cert.revoked", WRITER_OUTFLOW},
    [LD__EVENT_KIND__CERT_REVIEWED] = {"cert.reviewed", WRITER_EITHER},
    [LD__EVENT_KIND__CHECKIN] = {"checkin", WRITER_INFLOW},
    [LD__EVENT_KIND__MEETING_HELD] = {"meeting.held", WRITER_LOCAL},
    [LD__EVENT_KIND__ATTENDANCE] = {"attendance", WRITER_CARETAKER},
    [LD__EVENT_KIND__DUES_PAID] = {"dues.paid", WRITER_COLLECTOR},
    [LD__EVENT_KIND__DUES_REFUNDED] = {"dues.refunded", WRITER_RECEIPT},
    [LD__EVENT_KIND__REPORT_RECEIVED] = {"report.received", WRITER_OUTFLOW},
    [LD__EVENT_KIND__CONTACT_CHANGED] = {"contact.changed", WRITER_OUTFLOW},
    [LD__EVENT_KIND__FEEDBACK] = {"feedback", WRITER_INFLOW},
    [LD__EVENT_KIND__DEPARTURE_ASSESSED] = {"departure.assessed", WRITER_INFLOW},
    [LD__EVENT_KIND__RETURNED] = {"returned", WRITER_OUTFLOW},
    [LD__EVENT_KIND__TRANSFER_ISSUED] = {"transfer.issued", WRITER_OUTFLOW},
    [LD__EVENT_KIND__TRANSFER_RECEIVED] = {"transfer.received", WRITER_RECEIVER},
    [LD__EVENT_KIND__PROBATION_OPINION] = {"probation.opinion", WRITER_INFLOW},
    [LD__EVENT_KIND__PROBATION_DECIDED] = {"probation.decided", WRITER_OUTFLOW},
    [LD__EVENT_KIND__LAPSE_OPENED] = {"lapse.opened", WRITER_OUTFLOW},
    [LD__EVENT_KIND__LAPSE_DECIDED] = {"lapse.decided", WRITER_OUTFLOW},
    [LD__EVENT_KIND__STAY_ENDED] = {"stay.ended", WRITER_OUTFLOW},
    [LD__EVENT_KIND__DUES_EXEMPTED] = {"dues.exempted", WRITER_OUTFLOW},
    [LD__EVENT_KIND__BRANCH_JOINED] = {"branch.joined", WRITER_LOCAL},
    [LD__EVENT_KIND__BRANCH_LEFT] = {"branch.left", WRITER_LOCAL},
};

static const Ld__Event__PayloadCase payload_of[] = {
    [LD__EVENT_KIND__MEMBER_REGISTERED] = LD__EVENT__PAYLOAD_MEMBER_INFO,
    [LD__EVENT_KIND__MEMBER_UPDATED] = LD__EVENT__PAYLOAD_MEMBER_INFO,
    [LD__EVENT_KIND__OUTFLOW_REGISTERED] = LD__EVENT__PAYLOAD_OUTFLOW,
    [LD__EVENT_KIND__BRANCH_ADDED] = LD__EVENT__PAYLOAD_BRANCH,
    [LD__EVENT_KIND__CERT_ISSUED] = LD__EVENT__PAYLOAD_CERT,
    [LD__EVENT_KIND__CERT_REVOKED] = LD__EVENT__PAYLOAD_REVOKED,
    [LD__EVENT_KIND__CERT_REVIEWED] = LD__EVENT__PAYLOAD_REVIEWED,
    [LD__EVENT_KIND__CHECKIN] = LD__EVENT__PAYLOAD_CHECKIN,
    [LD__EVENT_KIND__MEETING_HELD] = LD__EVENT__PAYLOAD_MEETING,
    [LD__EVENT_KIND__ATTENDANCE] = LD__EVENT__PAYLOAD_ATTENDANCE,
    [LD__EVENT_KIND__DUES_PAID] = LD__EVENT__PAYLOAD_DUES_PAID,
    [LD__EVENT_KIND__DUES_REFUNDED] = LD__EVENT__PAYLOAD_DUES_REFUNDED,
    [LD__EVENT_KIND__REPORT_RECEIVED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__CONTACT_CHANGED] = LD__EVENT__PAYLOAD_CONTACT,
    [LD__EVENT_KIND__FEEDBACK] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__DEPARTURE_ASSESSED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__RETURNED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__TRANSFER_ISSUED] = LD__EVENT__PAYLOAD_TRANSFER,
    [LD__EVENT_KIND__TRANSFER_RECEIVED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__PROBATION_OPINION] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__PROBATION_DECIDED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__LAPSE_OPENED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__LAPSE_DECIDED] = LD__EVENT__PAYLOAD_NOTE,
    [LD__EVENT_KIND__STAY_ENDED] = LD__EVENT__PAYLOAD_STAY_ENDED,
    [LD__EVENT_KIND__DUES_EXEMPTED] = LD__EVENT__PAYLOAD_EXEMPTION,
    [LD__EVENT_KIND__BRANCH_JOINED] = LD__EVENT__PAYLOAD_BRANCH,
    [LD__EVENT_KIND__BRANCH_LEFT] = LD__EVENT__PAYLOAD_BRANCH,
};

Ld__Event__PayloadCase event_kind_payload(Ld__EventKind kind)
{
	if ((size_t)kind >= sizeof(payload_of) / sizeof(payload_of[0]))
		return LD__EVENT__PAYLOAD__NOT_SET;
	return payload_of[kind];
}

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
