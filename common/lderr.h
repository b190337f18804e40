/*
 * lderr.h: the project's own error space, and the one translation from the system's into it.
 *
 * Functions return 0 or a negative code. A code below LD_EBASE is one of ours, with a meaning of
 * the project's (what the user did wrong, or what the site refuses); anything else is a negative
 * errno that no edge gave a meaning to: an internal error, told with its strerror. System and
 * library codes become ours once, at the edge that called the system: lderr_from_errno for
 * errno, store.c's store_error for LMDB. Nothing inside compares a bare errno with a meaning
 * (as LMDB keeps its MDB_* codes apart from errno, and Knot Resolver its kr_error space).
 */
#pragma once

#include <stdbool.h>

enum lderr {
	LD_EBASE = -2000,
	/* exit 2: usage: unknown command or option, missing or extra argument */
	LD_EUSAGE = -2001,
	/* exit 3: invalid input: identity number, date, month, amount, enum, token syntax */
	LD_EINPUT = -2002,
	/* exit 4: not found: member, certificate, branch, meeting, peer, receipt, file */
	LD_ENOTFOUND = -2003,
	/* exit 5, refused by a rule: */
	LD_EEXIST = -2004,     /* already exists */
	LD_EFORBIDDEN = -2005, /* not this site's (or this state's) to do */
	LD_EALREADY = -2006,   /* done already: double payment, decided case */
	LD_ESIGNATURE = -2007, /* a signature that does not verify */
	LD_EREVOKED = -2008,   /* a revoked certificate */
	LD_EEXPIRED = -2009,   /* an expired certificate */
	LD_ELOCKED = -2010,    /* the data directory is another daemon's */
	/* exit 1, internal, with a reason the operator can act on: */
	LD_ECORRUPT = -2011, /* a stored record or a message does not decode */
	LD_ENOSPACE = -2012, /* the data disk is full (ENOSPC, EDQUOT) */
	LD_EMAPFULL = -2013, /* LMDB's map is full: the writer grows it and runs the job again */
	LD_ETXNFULL = -2014, /* too many dirty pages for one transaction: not cured by growing */
	LD_ERETRY = -2015,   /* LMDB's map was resized or its reader table is full: try again */
	/* exit 6: the daemon cannot be reached, or is stopping */
	LD_ESTOPPING = -2016,
	LD_EUNAVAILABLE = -2017,
	LD_ELAST = -2018,
};

/* True if ERR is one of ours (not a bare errno). */
bool lderr_is_ours(int err);

/* True if ERR is a failure of the store, the disk or memory rather than of the data being written
 * (LD_EMAPFULL, LD_ETXNFULL, LD_ERETRY, LD_ENOSPACE, -ENOMEM, -EIO): it fails the whole batch and
 * never quarantines an event. */
bool lderr_is_resource(int err);

/* ERRNUM (a positive errno, as left in errno) in our space: ENOENT not found, EEXIST exists,
 * ENOSPC and EDQUOT no space; any other stays -ERRNUM (an internal error). */
int lderr_from_errno(int errnum);

/* A short English text for ERR (ours or a negative errno); static storage. */
const char *lderr_str(int err);
