/* event.c: see event.h. One table: the name and the writer of every kind. */
#include "event.h"

#include <stddef.h>

static const struct {
	const char *name;
	enum event_writer writer;
} kinds[] = {
	[LD__EVENT_KIND__EVENT_UNKNOWN] = { "unknown", WRITER_LOCAL },
	[LD__EVENT_KIND__MEMBER_REGISTERED] = { "member.registered", WRITER_OUTFLOW },
	[LD__EVENT_KIND__MEMBER_UPDATED] = { "member.updated", WRITER_OUTFLOW },
	[LD__EVENT_KIND__OUTFLOW_REGISTERED] = { "outflow.registered", WRITER_OUTFLOW },
	[LD__EVENT_KIND__BRANCH_ADDED] = { "branch.added", WRITER_LOCAL },
	[LD__EVENT_KIND__CERT_ISSUED] = { "cert.issued", WRITER_OUTFLOW },
	[LD__EVENT_KIND__CERT_REVOKED] = { "cert.revoked", WRITER_OUTFLOW },
	[LD__EVENT_KIND__CERT_REVIEWED] = { "cert.reviewed", WRITER_EITHER },
	[LD__EVENT_KIND__CHECKIN] = { "checkin", WRITER_INFLOW },
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
