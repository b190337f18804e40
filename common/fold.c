/*
 * fold.c: see fold.h. One function per kind of event; each reads the member's state, changes it,
 * and writes it back. A member's history is the `member_log` index: identity number + local seq.
 */
#include "fold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idno.h"

const enum store_table fold_tables[FOLD_TABLE_COUNT] = { TBL_MEMBERS, TBL_MEMBER_LOG, TBL_BRANCHES };

int member_state_get(struct store_txn *txn, const char *idno, Ld__MemberState **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_MEMBERS, idno, strlen(idno), &v);
	if (rc)
		return rc;
	*out = ld__member_state__unpack(NULL, v.len, v.data);
	return *out ? 0 : -EBADMSG;
}

/* Pack any message into a fresh buffer and put it under KEY. */
static int put_packed(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		      const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	protobuf_c_message_pack(msg, buf);
	int rc = store_put(txn, t, key, klen, buf, len, 0);
	free(buf);
	return rc;
}

int member_state_put(struct store_txn *txn, const Ld__MemberState *st)
{
	const char *id = st->info->id;
	return put_packed(txn, TBL_MEMBERS, id, strlen(id), &st->base);
}

int branch_get(struct store_txn *txn, const char *code, Ld__BranchInfo **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_BRANCHES, code, strlen(code), &v);
	if (rc)
		return rc;
	*out = ld__branch_info__unpack(NULL, v.len, v.data);
	return *out ? 0 : -EBADMSG;
}

static int index_member_event(struct store_txn *txn, const char *idno, uint64_t seq)
{
	uint8_t key[LD_IDNO_LEN + 8];
	size_t n = strlen(idno);
	if (n > LD_IDNO_LEN)
		return -EINVAL;
	memcpy(key, idno, n);
	store_u64_key(seq, key + n);
	return store_put(txn, TBL_MEMBER_LOG, key, n + 8, "", 0, 0);
}

static int fold_member_registered(struct store_txn *txn, const Ld__Event *ev, uint64_t seq)
{
	if (!ev->member_info)
		return -EBADMSG;
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	st.info = ev->member_info;
	st.state = "home";
	st.outflow_site = ev->origin;
	st.first_seq = seq;
	st.last_seq = seq;
	return member_state_put(txn, &st);
}

static int fold_member_updated(struct store_txn *txn, const Ld__Event *ev, uint64_t seq)
{
	if (!ev->member_info)
		return -EBADMSG;
	Ld__MemberState *old;
	int rc = member_state_get(txn, ev->member, &old);
	if (rc)
		return rc;
	Ld__MemberInfo *keep = old->info;
	old->info = ev->member_info;
	old->last_seq = seq;
	rc = member_state_put(txn, old);
	old->info = keep;
	ld__member_state__free_unpacked(old, NULL);
	return rc;
}

static int fold_outflow_registered(struct store_txn *txn, const Ld__Event *ev, uint64_t seq)
{
	Ld__OutflowInfo *of = ev->outflow;
	if (!of || !of->member)
		return -EBADMSG;
	Ld__MemberState *old = NULL;
	int rc = member_state_get(txn, ev->member, &old);
	if (rc && rc != -ENOENT)
		return rc;
	/* The snapshot is self-contained: a site that never saw him before starts from it. */
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	st.info = of->member;
	st.state = "away";
	st.outflow_site = ev->origin;
	st.outflow_name = of->outflow_name;
	st.outflow = of;
	st.first_seq = old ? old->first_seq : seq;
	st.last_seq = seq;
	if (old)
		st.certificate = old->certificate;
	rc = member_state_put(txn, &st);
	if (old)
		ld__member_state__free_unpacked(old, NULL);
	return rc;
}

static int fold_branch_added(struct store_txn *txn, const Ld__Event *ev)
{
	if (!ev->branch)
		return -EBADMSG;
	const char *code = ev->branch->code;
	return put_packed(txn, TBL_BRANCHES, code, strlen(code), &ev->branch->base);
}

int fold_apply(struct store_txn *txn, const Ld__Event *ev, uint64_t seq)
{
	int rc;
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
		rc = fold_member_registered(txn, ev, seq);
		break;
	case LD__EVENT_KIND__MEMBER_UPDATED:
		rc = fold_member_updated(txn, ev, seq);
		break;
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		rc = fold_outflow_registered(txn, ev, seq);
		break;
	case LD__EVENT_KIND__BRANCH_ADDED:
		return fold_branch_added(txn, ev);
	default:
		/* A kind from a newer version: kept in the log, folded once we know it. */
		rc = 0;
		break;
	}
	if (rc == 0 && ev->member && ev->member[0])
		rc = index_member_event(txn, ev->member, seq);
	return rc;
}
