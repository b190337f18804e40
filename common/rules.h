/*
 * rules.h: the rules with a clock (DOMAIN.md): which reminders a member's record raises on a given
 * day, at this site. Pure functions over facts the caller gathers from the store, so every
 * boundary is unit-tested without a store.
 *
 * A rule is due on the day its period ends: raised when as_of >= since, where since is the day the
 * period ended (month arithmetic clamps to the month's end: 2026-08-31 + 6 months = 2027-02-28).
 * The early warning of a 6-month rule is raised from its own day until the full rule replaces it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct member_facts {
	bool outflow_here; /* this site holds his formal relation */
	bool inflow_here;  /* this site is his current inflow site */
	bool away;	   /* registered out: away or checked in */
	bool checked_in;
	bool closed; /* returned, transferred or removed: raises nothing */
	bool fixed_place;
	int32_t from; /* outflow registration date (when away) */
	bool probationary;
	int32_t
	    probation_end; /* member_probation_end: admission + a year, or the extension's end */
	int32_t last_attended; /* LD_DATE_NONE if never (dates: days since 1970-01-01) */
	int32_t last_report;
	int32_t last_contact;
	/* The last month settled before his dues went unpaid, as of the day asked
	 * (year*12+month-1), INT32_MIN if none: member_dues_settled_month. */
	int32_t paid_month;
	bool has_cert;		  /* holds a certificate that is not revoked */
	int32_t cert_valid_until; /* cert_valid_until: renewed by a passed review */
	int32_t cert_reviewed;	  /* issue date or the last review, passed or failed */
	bool transfer_open;	  /* a transfer letter issued, not yet received */
	int32_t transfer_issued;
	int32_t last_visit; /* 走访慰问 by either site; LD_DATE_NONE (or 0) if never */
};

struct reminder {
	const char *kind; /* CLI.md's kinds: "transfer", "no-org-life-warning", ... */
	int32_t since;	  /* the day it became due */
	char detail[200]; /* what a person can act on */
};

#define RULES_MAX_REMINDERS 12

/* cert-expiring is raised from this many days before the certificate's last valid day. */
#define CERT_EXPIRING_DAYS 30

/*
 * The reminders F raises as of AS_OF at this site, with the periods of R. Writes at most MAX into
 * OUT and returns how many.
 */
size_t rules_member(const struct rules *r, const struct member_facts *f, int32_t as_of,
		    struct reminder *out, size_t max);
