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

static json_t *string_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

json_t *view_member(const Ld__MemberState *st, bool reveal, const uint8_t *self_id,
		    const char *self_name)
{
	const Ld__MemberInfo *m = st->info;
	char masked[LD_IDNO_SIZE];
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(reveal ? m->id : idno_mask(m->id, masked)));
	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "sex", json_string(m->sex));
	/* The year only: with the month and day the masked number could be rebuilt (idno.h). */
	int y = 0, mo = 0, d = 0;
	if (m->birth != LD_DATE_NONE)
		date_to_ymd(m->birth, &y, &mo, &d);
	json_object_set_new(o, "birth_year",
			    m->birth != LD_DATE_NONE ? json_integer(y) : json_null());
	if (reveal)
		json_object_set_new(o, "birth", view_date(m->birth));
	json_object_set_new(o, "joined", view_date(m->joined));
	json_object_set_new(o, "kind", json_string(m->kind));
	json_object_set_new(o, "branch", json_string(m->branch));
	json_object_set_new(o, "state", json_string(location_name(member_location(st))));

	const char *outflow_name = st->outflow_name;
	if (st->outflow_site.len == LD_SITE_ID_BYTES && self_id &&
	    memcmp(st->outflow_site.data, self_id, LD_SITE_ID_BYTES) == 0)
		outflow_name = self_name;
	json_object_set_new(o, "outflow_site", string_or_null(outflow_name));
	const Ld__OutflowInfo *of = st->outflow;
	json_object_set_new(o, "inflow_site", string_or_null(of ? of->inflow_name : NULL));
	json_object_set_new(o, "place", string_or_null(of ? of->place : NULL));
	json_object_set_new(o, "certificate", string_or_null(st->certificate));
	json_object_set_new(o, "dues_category", json_string(m->dues_category));
	json_object_set_new(o, "monthly_dues_fen", json_integer(m->monthly_dues_fen));
	json_object_set_new(o, "phone", string_or_null(m->phone));
	json_object_set_new(o, "last_attended",
			    view_date(st->last_attended ? st->last_attended : LD_DATE_NONE));
	json_object_set_new(o, "last_report",
			    view_date(st->last_report ? st->last_report : LD_DATE_NONE));
	json_object_set_new(o, "last_contact",
			    view_date(st->last_contact ? st->last_contact : LD_DATE_NONE));
	json_object_set_new(o, "departed", st->departed ? view_date(st->departed) : json_null());
	json_object_set_new(o, "lapse_case",
			    member_lapse_open(st) ? json_string(st->lapse) : json_null());
	json_t *ex = json_null();
	if (st->n_exemptions) {
		const Ld__DuesExemption *e = st->exemptions[st->n_exemptions - 1];
		char from[LD_MONTH_LEN], to[LD_MONTH_LEN];
		ex = json_pack("{s:s, s:s, s:s, s:I, s:s}", "exemption", e->id, "from",
			       month_format(e->from_month, from), "to",
			       month_format(e->to_month, to), "monthly_fen",
			       (json_int_t)e->monthly_fen, "approved_by", e->approved_by);
	}
	json_object_set_new(o, "exemption", ex);
	if (st->stay_ended)
		json_object_set_new(o, "stay_ended", view_date(st->stay_ended));
	if (member_probationary(st) && st->probation_until)
		json_object_set_new(o, "probation_until", view_date(st->probation_until));
	if (st->temp_branch[0])
		json_object_set_new(o, "temp_branch", json_string(st->temp_branch));
	if (st->returned)
		json_object_set_new(o, "returned", view_date(st->returned));
	if (st->lapse[0])
		json_object_set_new(o, "lapse", json_string(st->lapse));
	if (st->transfer[0])
		json_object_set_new(o, "transfer", json_string(st->transfer));
	if (st->probation[0])
		json_object_set_new(o, "probation_opinion", json_string(st->probation));
	if (st->checkin) {
		json_object_set_new(o, "inflow_branch", json_string(st->checkin->branch));
		json_object_set_new(o, "checked_in", view_date(st->checkin_date));
	}
	if (of && of->suggested_branch[0])
		json_object_set_new(o, "suggested_branch",
				    json_pack("{s:s, s:s}", "code", of->suggested_branch, "name",
					      of->suggested_branch_name));
	/* 不享有表决权、选举权和被选举权 at the inflow site: the same words at both sites. */
	if (member_stay_active(st))
		json_object_set_new(
		    o, "voting",
		    json_string(_("votes, elects and stands for election only at his formal "
				  "organization, not at the inflow site")));
	if (of) {
		json_object_set_new(o, "reason", json_string(of->reason));
		json_object_set_new(o, "from", view_date(of->from));
		json_object_set_new(o, "until", view_date(of->until));
		json_object_set_new(o, "fixed_place", json_boolean(of->fixed_place));
		json_object_set_new(o, "employer", string_or_null(of->employer));
	}
	return o;
}
