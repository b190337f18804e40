/* view.c: see view.h. */
#include "view.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "date.h"
#include "domain.h"
#include "i18n.h"
#include "idno.h"
#include "siteid.h"

json_t *view_hex(const uint8_t *data, size_t len)
{
	char buf[2 * 64 + 1];
	if (len > 64)
		len = 64;
	for (size_t i = 0; i < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", data[i]);
	buf[2 * len] = '\0';
	return json_string(buf);
}

json_t *view_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[40];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return json_string(buf);
}

json_t *view_date(int32_t days)
{
	if (days == LD_DATE_NONE)
		return json_null();
	char buf[LD_DATE_LEN];
	return json_string(date_format(days, buf));
}

int64_t view_now_ms(void)
{
	return clock_now_ms();
}

/* DAYS as "YYYY-MM-DD" under KEY, or null for LD_DATE_NONE (view_date). */
static void jout_date(struct jout *o, const char *key, int32_t days)
{
	char buf[LD_DATE_LEN];
	if (days == LD_DATE_NONE)
		jout_null(o, key);
	else
		jout_string(o, key, date_format(days, buf));
}

/* S under KEY, or null if it is NULL or empty. */
static void jout_string_or_null(struct jout *o, const char *key, const char *s)
{
	if (s && s[0])
		jout_string(o, key, s);
	else
		jout_null(o, key);
}

void view_member(struct jout *o, const Ld__MemberState *st, bool reveal, const uint8_t *self_id,
		 const char *self_name)
{
	const Ld__MemberInfo *m = st->info;
	char masked[LD_IDNO_SIZE];
	jout_string(o, "id", reveal ? m->id : idno_mask(m->id, masked));
	jout_string(o, "name", m->name);
	jout_string(o, "sex", m->sex);
	/* The year only: with the month and day the masked number could be rebuilt (idno.h). */
	int y = 0, mo = 0, d = 0;
	if (m->birth != LD_DATE_NONE) {
		date_to_ymd(m->birth, &y, &mo, &d);
		jout_integer(o, "birth_year", y);
	} else {
		jout_null(o, "birth_year");
	}
	if (reveal)
		jout_date(o, "birth", m->birth);
	jout_date(o, "joined", m->joined);
	jout_string(o, "kind", m->kind);
	jout_string(o, "branch", m->branch);
	jout_string(o, "state", location_name(member_location(st)));

	const char *outflow_name = st->outflow_name;
	if (st->outflow_site.len == LD_SITE_ID_BYTES && self_id &&
	    memcmp(st->outflow_site.data, self_id, LD_SITE_ID_BYTES) == 0)
		outflow_name = self_name;
	jout_string_or_null(o, "outflow_site", outflow_name);
	const Ld__OutflowInfo *of = st->outflow;
	jout_string_or_null(o, "inflow_site", of ? of->inflow_name : NULL);
	jout_string_or_null(o, "place", of ? of->place : NULL);
	jout_string_or_null(o, "certificate", st->certificate);
	jout_string(o, "dues_category", m->dues_category);
	jout_integer(o, "monthly_dues_fen", m->monthly_dues_fen);
	jout_string_or_null(o, "phone", m->phone);
	jout_date(o, "last_attended", st->last_attended ? st->last_attended : LD_DATE_NONE);
	jout_date(o, "last_report", st->last_report ? st->last_report : LD_DATE_NONE);
	jout_date(o, "last_contact", st->last_contact ? st->last_contact : LD_DATE_NONE);
	if (st->departed)
		jout_date(o, "departed", st->departed);
	else
		jout_null(o, "departed");
	if (member_lapse_open(st))
		jout_string(o, "lapse_case", st->lapse);
	else
		jout_null(o, "lapse_case");
	if (st->n_exemptions) {
		const Ld__DuesExemption *e = st->exemptions[st->n_exemptions - 1];
		char from[LD_MONTH_LEN], to[LD_MONTH_LEN];
		jout_begin(o, "exemption");
		jout_string(o, "exemption", e->id);
		jout_string(o, "from", month_format(e->from_month, from));
		jout_string(o, "to", month_format(e->to_month, to));
		jout_integer(o, "monthly_fen", e->monthly_fen);
		jout_string(o, "approved_by", e->approved_by);
		jout_end(o);
	} else {
		jout_null(o, "exemption");
	}
	if (st->stay_ended)
		jout_date(o, "stay_ended", st->stay_ended);
	if (member_probationary(st) && st->probation_until)
		jout_date(o, "probation_until", st->probation_until);
	if (st->temp_branch[0])
		jout_string(o, "temp_branch", st->temp_branch);
	if (st->returned)
		jout_date(o, "returned", st->returned);
	if (st->transfer[0])
		jout_string(o, "transfer", st->transfer);
	if (st->probation[0])
		jout_string(o, "probation_opinion", st->probation);
	if (st->checkin) {
		jout_string(o, "inflow_branch", st->checkin->branch);
		jout_date(o, "checked_in", st->checkin_date);
	}
	if (of && of->suggested_branch[0]) {
		jout_begin(o, "suggested_branch");
		jout_string(o, "code", of->suggested_branch);
		jout_string(o, "name", of->suggested_branch_name);
		jout_end(o);
	}
	/* 不享有表决权、选举权和被选举权 at the inflow site: the same words at both sites. */
	if (member_stay_active(st))
		jout_string(o, "voting",
			    _("votes, elects and stands for election only at his formal "
			      "organization, not at the inflow site"));
	if (of) {
		jout_string(o, "reason", of->reason);
		jout_date(o, "from", of->from);
		jout_date(o, "until", of->until);
		jout_bool(o, "fixed_place", of->fixed_place);
		jout_string_or_null(o, "employer", of->employer);
	}
}
