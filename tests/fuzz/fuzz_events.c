/* fuzz_events.c: see fuzz_events.h. */
#include "fuzz_events.h"

#include <stdlib.h>

#include "eventlog.h"
#include "siteid.h"

Ld__MemberInfo fuzz_member_info(const char *idno)
{
	Ld__MemberInfo m = LD__MEMBER_INFO__INIT;
	m.id = (char *)idno;
	m.name = "张三";
	m.sex = "F";
	m.kind = "full";
	m.branch = "001";
	m.dues_category = "salaried";
	m.income_fen = -1;
	m.monthly_dues_fen = 1500;
	m.set_dues_fen = -1;
	return m;
}

Ld__OutflowInfo fuzz_outflow(Ld__MemberInfo *m, const uint8_t *to)
{
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.member = m;
	of.reason = "work";
	of.inflow_site.data = (uint8_t *)to;
	of.inflow_site.len = LD_SITE_ID_BYTES;
	of.inflow_name = "P";
	of.place = "南京";
	of.until = INT32_MIN;
	return of;
}

Ld__Event fuzz_event(const uint8_t *origin, uint64_t seq, Ld__EventKind kind, const char *member)
{
	Ld__Event ev = LD__EVENT__INIT;
	ev.origin.data = (uint8_t *)origin;
	ev.origin.len = LD_SITE_ID_BYTES;
	ev.origin_seq = seq;
	ev.date = 20600;
	ev.time_ms = 1779840000000;
	ev.kind = kind;
	ev.member = (char *)member;
	return ev;
}

ProtobufCBinaryData fuzz_event_pack(Ld__Event *ev)
{
	ProtobufCBinaryData b;
	b.len = ld__event__get_packed_size(ev);
	b.data = malloc(b.len ? b.len : 1);
	if (!b.data)
		abort();
	ld__event__pack(ev, b.data);
	return b;
}

ProtobufCBinaryData fuzz_pack_outflow(const uint8_t *origin, uint64_t seq, Ld__MemberInfo *m,
				      const uint8_t *to)
{
	Ld__OutflowInfo of = fuzz_outflow(m, to);
	Ld__Event ev = fuzz_event(origin, seq, LD__EVENT_KIND__OUTFLOW_REGISTERED, m->id);
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = &of;
	return fuzz_event_pack(&ev);
}

ProtobufCBinaryData fuzz_pack_note(const uint8_t *origin, uint64_t seq, Ld__EventKind kind,
				   const char *member, Ld__Note *note)
{
	Ld__Event ev = fuzz_event(origin, seq, kind, member);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = note;
	return fuzz_event_pack(&ev);
}

Ld__EventBatch fuzz_batch(const uint8_t *log_id, ProtobufCBinaryData *ev, size_t n, uint64_t prev,
			  uint64_t last)
{
	Ld__EventBatch b = LD__EVENT_BATCH__INIT;
	b.log_id.data = (uint8_t *)log_id;
	b.log_id.len = LD_LOG_ID_BYTES;
	b.prev_seq = prev;
	b.last_seq = last;
	b.events = ev;
	b.n_events = n;
	return b;
}

void fuzz_commit_local(struct store_txn *txn, const uint8_t *self, Ld__Event *ev)
{
	if (eventlog_commit_local(txn, self, ev, NULL) != 0)
		abort();
}

void fuzz_commit_registered(struct store_txn *txn, const uint8_t *self, const char *idno)
{
	Ld__MemberInfo m = fuzz_member_info(idno);
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__MEMBER_REGISTERED;
	ev.member = (char *)idno;
	ev.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev.member_info = &m;
	fuzz_commit_local(txn, self, &ev);
}

void fuzz_commit_outflow(struct store_txn *txn, const uint8_t *self, const char *idno,
			 const uint8_t *to)
{
	Ld__MemberInfo m = fuzz_member_info(idno);
	Ld__OutflowInfo of = fuzz_outflow(&m, to);
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	ev.member = (char *)idno;
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = &of;
	fuzz_commit_local(txn, self, &ev);
}
