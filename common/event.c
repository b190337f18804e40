/* event.c: see event.h. One table: the name and the writer of every kind. */
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
    [LD__EVENT_KIND__DUES_PAID] = {"dues.paid", WRITER_EITHER},
    [LD__EVENT_KIND__DUES_REFUNDED] = {"dues.refunded", WRITER_EITHER},
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
