/* commit.c: see commit.h. */
#include "commit.h"
#include "i18n.h"

#include <errno.h>
#include <string.h>

#include "audit.h"
#include "daemon.h"
#include "date.h"
#include "eventlog.h"
#include "idno.h"
#include "sites.h"
#include "lderr.h"

void commit_site(const struct daemon *d, const struct rules *rules, struct domain_site *out)
{
	out->self = d->site_id;
	out->today = date_today();
	out->probation_months = rules->probation_months;
}

/*
 * The refusal as the CLI shows it: what, about whom, why, and who may. The site that may is named
 * where the reason gives its role ("only 昆山, his outflow site, may ..."), else after it.
 */
static int refusal(struct request *rq, struct store_txn *txn, const Ld__Event *ev, int rc,
		   const struct verdict *v)
{
	char masked[LD_IDNO_SIZE] = "";
	char why[sizeof(v->why) + LD_NAME_MAX + 16];
	snprintf(why, sizeof(why), "%s", v->why);
	if (ev->member && ev->member[0])
		idno_mask(ev->member, masked);
	char name[LD_NAME_MAX] = "";
	if (rc == LD_EFORBIDDEN && v->has_writer &&
	    memcmp(v->writer, rq->daemon->site_id, LD_SITE_ID_BYTES) != 0)
		site_lookup(rq, txn, v->writer, name, NULL); /* leaves NAME empty if unknown */
	const char *at = name[0] && v->role ? strstr(v->why, v->role) : NULL;
	if (at) {
		size_t end = (size_t)(at - v->why) + strlen(v->role);
		/* TRANSLATORS: the reason up to the role, the site's name, the role, the rest. */
		snprintf(why, sizeof(why), _("%.*s%s, %.*s,%s"), (int)(at - v->why), v->why, name,
			 (int)strlen(v->role), at, v->why + end);
	} else if (name[0]) {
		snprintf(why, sizeof(why), _("%s; ask %s"), v->why, name);
	}
	if (masked[0])
		return request_fail(rq, rc, "%s for member %s refused: %.400s",
				    event_kind_text(ev->kind), masked, why);
	return request_fail(rq, rc, "%s refused: %.400s", event_kind_text(ev->kind), why);
}

/* EV is this site's own, written by RQ's operator. */
static void as_own(const struct request *rq, Ld__Event *ev)
{
	ev->origin.data = rq->daemon->site_id;
	ev->origin.len = LD_SITE_ID_BYTES;
	ev->operator_ = (char *)request_operator(rq);
}

/* commit_check by SITE (this site today). */
static int check_at(struct request *rq, struct store_txn *txn, Ld__Event *ev,
		    const Ld__MemberState *st, const struct domain_site *site)
{
	struct verdict v;
	as_own(rq, ev);
	int rc = domain_validate_state(txn, ev, rq->daemon->site_id, site, st, &v);
	return rc && v.why[0] ? refusal(rq, txn, ev, rc, &v) : rc;
}

int commit_check(struct request *rq, struct store_txn *txn, Ld__Event *ev,
		 const Ld__MemberState *st)
{
	struct domain_site site;
	commit_site(rq->daemon, &rq->rules, &site);
	return check_at(rq, txn, ev, st, &site);
}

int commit_check_ahead(struct request *rq, struct store_txn *txn, Ld__Event *ev, int32_t *judged_on)
{
	struct domain_site site;
	commit_site(rq->daemon, &rq->rules, &site);
	int rc = check_at(rq, txn, ev, NULL, &site);
	*judged_on = rc == 0 && domain_judged_alone(ev) ? site.today : 0;
	return rc;
}

/*
 * commit_event with his state before EV known: ST (borrowed; NULL: not in the store) if HAVE.
 * JUDGED_ON: as commit_event_new_member's (0 if not HAVE or ST).
 */
static int commit_known(struct request *rq, struct store_txn *txn, Ld__Event *ev, bool have,
			Ld__MemberState *st, int32_t judged_on, const struct pbwire_splice *payload,
			const struct fold_state_ahead *ahead, const char *action,
			const char *detail, uint64_t *seq)
{
	struct domain_site site;
	commit_site(rq->daemon, &rq->rules, &site);
	int rc = 0;
	if (judged_on && judged_on == site.today && have && !st && domain_judged_alone(ev))
		as_own(rq, ev); /* judged already, by EV alone (commit_check_ahead) */
	else
		rc = check_at(rq, txn, ev, st, &site);
	if (rc == 0)
		rc = eventlog_commit_known(txn, rq->daemon->site_id, ev, have, st, payload, ahead,
					   seq);
	if (rc || !action)
		return rc;
	return audit_append(txn, request_operator(rq), rq->uid, action, ev->member, detail);
}

int commit_event(struct request *rq, struct store_txn *txn, Ld__Event *ev, const char *action,
		 const char *detail, uint64_t *seq)
{
	/* His state is read once: the domain core judges by it and the fold starts from it. */
	Ld__MemberState *st;
	bool have;
	int rc = domain_member_before(txn, ev, &have, &st);
	if (rc == 0)
		rc = commit_known(rq, txn, ev, have, st, 0, NULL, NULL, action, detail, seq);
	if (st)
		ld__member_state__free_unpacked(st, NULL);
	return rc;
}

int commit_event_new_member(struct request *rq, struct store_txn *txn, Ld__Event *ev,
			    const struct pbwire_splice *payload,
			    const struct fold_state_ahead *ahead, int32_t judged_on, uint64_t *seq)
{
	return commit_known(rq, txn, ev, true, NULL, judged_on, payload, ahead, NULL, NULL, seq);
}
