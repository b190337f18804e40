/*
 * cmd_doctor.c: `liudong doctor`, the site checked as its IT person would: the site key and TLS
 * certificate on disk, the permissions of the data directory and the control socket (and its
 * group), the free disk and the store's map, each peer (reachable, pinned both ways, in step,
 * its clock), and the quarantined events waiting for someone.
 *
 * Each finding is {check, status: ok|warn|fail, message, advice} (peer findings add `peer`);
 * the answer is {ok, failed, warned, findings}. The CLI exits 5 when a finding fails.
 *
 * It runs on the loop thread (marked `loop`): the peers' state is the sync engine's, which only
 * the loop thread reads. Nothing here waits on the network: a peer is judged from what its live
 * connection (or the last attempt) told the sync engine; the rest are stat, statvfs, group
 * lookups (the system's group file; a directory service would make them slow) and reading two
 * small files, quick enough to do between callbacks.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "clock.h"
#include "commands.h"
#include "daemon.h"
#include "i18n.h"
#include "identity.h"
#include "sync.h"
#include "syncapply.h"
#include "utf8.h"
#include "lderr.h"

/* A certificate expiring within this many days is warned about. */
#define DOCTOR_CERT_WARN_DAYS 30
/* A peer's clock this far off is warned about, and this far off fails (as sync logs it). */
#define DOCTOR_SKEW_WARN_MS (60 * 1000)
#define DOCTOR_SKEW_FAIL_MS (5 * 60 * 1000)
/* Free disk below which a finding warns, and below which it fails (writes fail at 16 MiB). */
#define DOCTOR_DISK_WARN ((uint64_t)1 << 30)
#define DOCTOR_DISK_FAIL ((uint64_t)64 << 20)
/* The part of the store's map in use above which a finding warns, in percent. */
#define DOCTOR_MAP_WARN_PERCENT 80
/* Quarantine rows read one by one to count the open ones; above, only the total is told. */
#define DOCTOR_QUARANTINE_SCAN 10000

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

static const char *const status_names[] = {"ok", "warn", "fail"};

struct doctor {
	json_t *findings;
	unsigned failed, warned;
};

/* TEXT as one line of UTF-8 (utf8_one_line), cut to SIZE - 1 bytes in OUT: a new JSON string. */
static json_t *one_line(const char *text, char *out, size_t size)
{
	snprintf(out, size, "%s", text);
	return json_string(utf8_one_line(out));
}

/* Add a finding: MESSAGE says what was found, ADVICE (NULL: none) what to do. PEER may be NULL. */
static void add(struct doctor *dr, const char *check, const char *peer, enum doctor_status status,
		const char *message, const char *advice)
{
	char line[1024];
	json_t *o = json_object();
	json_object_set_new(o, "check", json_string(check));
	if (peer)
		json_object_set_new(o, "peer", one_line(peer, line, sizeof(line)));
	json_object_set_new(o, "status", json_string(status_names[status]));
	json_object_set_new(o, "message", one_line(message, line, sizeof(line)));
	json_object_set_new(o, "advice",
			    advice ? one_line(advice, line, sizeof(line)) : json_null());
	json_array_append_new(dr->findings, o);
	dr->failed += status == DOCTOR_FAIL;
	dr->warned += status == DOCTOR_WARN;
}

/* Why a file could not be used, for people. */
static const char *file_error(int err)
{
	if (err == -EIO)
		return _("not in the expected PEM format (damaged, or another file)");
	if (err == LD_ENOTFOUND)
		return _("no such file");
	if (err == -EACCES)
		return _("permission denied");
	if (err == -EISDIR)
		return _("it is a directory");
	return lderr_str(err);
}

/* ---------------------------------------------------------------------------------------------- */
/* Key and certificate                                                                            */

static void check_identity(struct doctor *dr, struct daemon *d)
{
	char msg[1024], advice[1024];
	const char *key = d->config.key, *crt = d->config.cert;
	struct identity_files f;
	if (identity_check_files(d->identity, &f) != 0) {
		add(dr, "key", NULL, DOCTOR_WARN, _("out of memory while checking the key"), NULL);
		return;
	}
	if (f.key_err) {
		snprintf(msg, sizeof(msg), _("the site key %s cannot be read: %s"), key,
			 file_error(f.key_err));
		snprintf(advice, sizeof(advice),
			 _("restore %s from the backup, owned by the user liudongd runs as, mode "
			   "0600; liudongd will not start without it"),
			 key);
		add(dr, "key", NULL, DOCTOR_FAIL, msg, advice);
	} else if (f.key_other) {
		snprintf(msg, sizeof(msg),
			 _("%s holds another key than the one liudongd runs with: after a restart "
			   "the site would have another id and its peers would refuse it"),
			 key);
		add(dr, "key", NULL, DOCTOR_FAIL, msg,
		    _("put the site's own key back from the backup before liudongd restarts"));
	} else if (f.key_mode & 077) {
		snprintf(msg, sizeof(msg),
			 _("the site key %s can be read by other users (mode %04o)"), key,
			 f.key_mode);
		snprintf(advice, sizeof(advice), _("chmod 600 %s"), key);
		add(dr, "key", NULL, DOCTOR_WARN, msg, advice);
	} else {
		snprintf(msg, sizeof(msg), _("the site key %s is readable, mode %04o"), key,
			 f.key_mode);
		add(dr, "key", NULL, DOCTOR_OK, msg, NULL);
	}

	snprintf(advice, sizeof(advice),
		 _("make a new certificate for the site key (openssl req -new -x509 -key %s -subj "
		   "/CN=NAME -days 7300 -out %s) and restart liudongd"),
		 key, crt);
	if (f.crt_err == LD_ENOTFOUND && !crt[0]) {
		add(dr, "certificate", NULL, DOCTOR_OK, _("no certificate file is configured"),
		    NULL);
	} else if (f.crt_err) {
		snprintf(msg, sizeof(msg), _("the certificate %s cannot be read: %s"), crt,
			 file_error(f.crt_err));
		add(dr, "certificate", NULL, DOCTOR_FAIL, msg, advice);
	} else if (f.crt_other) {
		snprintf(msg, sizeof(msg),
			 _("the certificate %s is of another key than the site key: liudongd will "
			   "not start with it"),
			 crt);
		add(dr, "certificate", NULL, DOCTOR_FAIL, msg, advice);
	} else {
		int64_t left_ms = f.crt_not_after_ms - clock_now_ms();
		long long days = left_ms / (24LL * 3600 * 1000);
		if (left_ms <= 0) {
			snprintf(msg, sizeof(msg),
				 _("the certificate %s has expired: peers refuse this site"), crt);
			add(dr, "certificate", NULL, DOCTOR_FAIL, msg, advice);
		} else if (days < DOCTOR_CERT_WARN_DAYS) {
			snprintf(msg, sizeof(msg), _("the certificate %s expires in %lld days"),
				 crt, days);
			add(dr, "certificate", NULL, DOCTOR_WARN, msg, advice);
		} else {
			snprintf(msg, sizeof(msg),
				 _("the certificate %s is valid for %lld more days"), crt, days);
			add(dr, "certificate", NULL, DOCTOR_OK, msg, NULL);
		}
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Files: the data directory, the socket, the disk, the map                                       */

static void check_data_dir(struct doctor *dr, struct daemon *d)
{
	char msg[1024], advice[1024];
	const char *dir = d->config.data_dir;
	struct stat st;
	if (stat(dir, &st) != 0) {
		snprintf(msg, sizeof(msg), _("the data directory %s cannot be examined: %s"), dir,
			 strerror(errno));
		add(dr, "data_dir", NULL, DOCTOR_FAIL, msg,
		    _("put the data directory back, or restore it from the backup"));
		return;
	}
	unsigned mode = (unsigned)(st.st_mode & 07777);
	snprintf(advice, sizeof(advice), _("chmod 700 %s"), dir);
	if (mode & 002) {
		snprintf(msg, sizeof(msg),
			 _("the data directory %s can be written by every user (mode %04o)"), dir,
			 mode);
		add(dr, "data_dir", NULL, DOCTOR_FAIL, msg, advice);
	} else if (mode & 005) {
		snprintf(msg, sizeof(msg),
			 _("the data directory %s is open to every user (mode %04o): it holds "
			   "personal records"),
			 dir, mode);
		add(dr, "data_dir", NULL, DOCTOR_WARN, msg, advice);
	} else {
		snprintf(msg, sizeof(msg),
			 _("the data directory %s is closed to other users (mode "
			   "%04o)"),
			 dir, mode);
		add(dr, "data_dir", NULL, DOCTOR_OK, msg, NULL);
	}
}

static void check_socket(struct doctor *dr, struct daemon *d)
{
	char msg[1024], advice[1024];
	const char *path = d->config.socket, *group = d->config.socket_group;
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(msg, sizeof(msg), _("the control socket %s is gone or is not a socket"),
			 path);
		add(dr, "socket", NULL, DOCTOR_FAIL, msg,
		    _("restart liudongd: it makes the socket at start"));
		return;
	}
	unsigned mode = (unsigned)(st.st_mode & 07777);
	if (mode & 006) {
		snprintf(msg, sizeof(msg),
			 _("every user may use the control socket %s (mode %04o)"), path, mode);
		snprintf(advice, sizeof(advice), _("chmod 660 %s"), path);
		add(dr, "socket", NULL, DOCTOR_FAIL, msg, advice);
	} else {
		snprintf(msg, sizeof(msg),
			 _("the control socket %s is closed to other users (mode "
			   "%04o)"),
			 path, mode);
		add(dr, "socket", NULL, DOCTOR_OK, msg, NULL);
	}

	/* The reentrant forms: another thread may look up users or groups. */
	struct group grbuf, *gr = NULL;
	char names[16384], has[LD_NAME_MAX];
	if (getgrgid_r(st.st_gid, &grbuf, names, sizeof(names), &gr) == 0 && gr)
		snprintf(has, sizeof(has), "%s", gr->gr_name);
	else
		snprintf(has, sizeof(has), "%u", (unsigned)st.st_gid);
	if (!group[0]) {
		snprintf(msg, sizeof(msg),
			 _("the control socket's group is %s ([site] socket_group is not set)"),
			 has);
		add(dr, "socket_group", NULL, DOCTOR_OK, msg, NULL);
		return;
	}
	if (getgrnam_r(group, &grbuf, names, sizeof(names), &gr) != 0)
		gr = NULL;
	if (!gr) {
		snprintf(msg, sizeof(msg),
			 _("the group %s named by [site] socket_group does not exist: staff "
			   "cannot be given the use of the socket"),
			 group);
		snprintf(advice, sizeof(advice),
			 _("create it (groupadd %s), add the staff to it, and restart liudongd; or "
			   "name an existing group in %s"),
			 group, d->config.path);
		add(dr, "socket_group", NULL, DOCTOR_FAIL, msg, advice);
	} else if (gr->gr_gid != st.st_gid) {
		snprintf(msg, sizeof(msg),
			 _("the control socket's group is %s, not %s as [site] socket_group says"),
			 has, group);
		snprintf(advice, sizeof(advice), _("restart liudongd, or chgrp %s %s"), group,
			 path);
		add(dr, "socket_group", NULL, DOCTOR_FAIL, msg, advice);
	} else {
		snprintf(msg, sizeof(msg), _("the control socket's group is %s, as configured"),
			 group);
		add(dr, "socket_group", NULL, DOCTOR_OK, msg, NULL);
	}
}

static void check_space(struct doctor *dr, struct daemon *d)
{
	char msg[1024], advice[1024];
	const char *dir = d->config.data_dir;
	struct statvfs vfs;
	if (statvfs(dir, &vfs) != 0) {
		snprintf(msg, sizeof(msg), _("cannot tell the free space of %s: %s"), dir,
			 strerror(errno));
		add(dr, "disk", NULL, DOCTOR_WARN, msg, NULL);
	} else {
		uint64_t free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		unsigned long long mib = free_bytes >> 20;
		snprintf(advice, sizeof(advice),
			 _("free space on the file system of %s, or move the data directory to a "
			   "larger disk"),
			 dir);
		if (free_bytes < DOCTOR_DISK_FAIL) {
			snprintf(msg, sizeof(msg),
				 _("only %llu MiB free for the data directory: writes are about "
				   "to fail"),
				 mib);
			add(dr, "disk", NULL, DOCTOR_FAIL, msg, advice);
		} else if (free_bytes < DOCTOR_DISK_WARN) {
			snprintf(msg, sizeof(msg), _("only %llu MiB free for the data directory"),
				 mib);
			add(dr, "disk", NULL, DOCTOR_WARN, msg, advice);
		} else {
			snprintf(msg, sizeof(msg), _("%llu MiB free for the data directory"), mib);
			add(dr, "disk", NULL, DOCTOR_OK, msg, NULL);
		}
	}

	uint64_t used, map;
	if (store_usage(d->store, &used, &map) != 0 || map == 0) {
		add(dr, "map", NULL, DOCTOR_WARN, _("cannot tell how full the store is"), NULL);
		return;
	}
	unsigned percent = (unsigned)(used * 100 / map);
	if (percent > DOCTOR_MAP_WARN_PERCENT) {
		snprintf(msg, sizeof(msg),
			 _("the store fills %u%% of its map (%llu of %llu MiB); the map doubles "
			   "when it is full"),
			 percent, (unsigned long long)(used >> 20),
			 (unsigned long long)(map >> 20));
		snprintf(advice, sizeof(advice),
			 _("make sure the disk has %llu MiB more free for it to grow"),
			 (unsigned long long)(map >> 20));
		add(dr, "map", NULL, DOCTOR_WARN, msg, advice);
	} else {
		snprintf(msg, sizeof(msg), _("the store fills %u%% of its map (%llu of %llu MiB)"),
			 percent, (unsigned long long)(used >> 20),
			 (unsigned long long)(map >> 20));
		add(dr, "map", NULL, DOCTOR_OK, msg, NULL);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Peers                                                                                          */

static void check_peer(struct doctor *dr, struct daemon *d, const struct sync_peer_report *r)
{
	char msg[1024], advice[1024];
	const char *err = r->last_error[0] ? r->last_error : _("no error recorded");
	const char *name = r->name;

	/* Reachable and pinned both ways. */
	if (r->linked) {
		snprintf(msg, sizeof(msg), _("%s is connected (%s)"), name, r->state);
		add(dr, "peer_reachable", name, DOCTOR_OK, msg, NULL);
		snprintf(msg, sizeof(msg), _("%s and this site pin each other's key"), name);
		add(dr, "peer_pinned", name, DOCTOR_OK, msg, NULL);
	} else if (r->unpinned) {
		snprintf(msg, sizeof(msg), _("%s is reachable (the TLS handshake completes)"),
			 name);
		add(dr, "peer_reachable", name, DOCTOR_OK, msg, NULL);
		snprintf(msg, sizeof(msg),
			 _("%s refuses this site: our key is not pinned there (%.400s)"), name,
			 err);
		snprintf(advice, sizeof(advice),
			 _("at %s, run: liudong peer add %s --id %s --address %s"), name,
			 d->config.name, d->site_id_text,
			 d->config.listen[0] ? d->config.listen : "HOST:PORT");
		add(dr, "peer_pinned", name, DOCTOR_FAIL, msg, advice);
	} else if (r->incompatible) {
		snprintf(msg, sizeof(msg), _("%s refuses this site: %.400s"), name, err);
		add(dr, "peer_reachable", name, DOCTOR_FAIL, msg,
		    _("upgrade the older of the two sites"));
	} else if (!r->address[0]) {
		snprintf(msg, sizeof(msg),
			 _("%s is not connected; it has no address here, so it must dial this "
			   "site (last error: %.400s)"),
			 name, err);
		snprintf(advice, sizeof(advice),
			 _("check that liudongd runs at %s and has this site's address (%s)"), name,
			 d->config.listen[0] ? d->config.listen : _("none: set [site] listen"));
		add(dr, "peer_reachable", name, DOCTOR_WARN, msg, advice);
	} else if (!r->last_error[0]) {
		snprintf(msg, sizeof(msg), _("%s is not connected yet (%s)"), name, r->state);
		add(dr, "peer_reachable", name, DOCTOR_WARN, msg,
		    _("run liudong doctor again in a minute"));
	} else {
		snprintf(msg, sizeof(msg), _("%s at %s is down or unreachable: %.400s"), name,
			 r->address, err);
		snprintf(advice, sizeof(advice),
			 _("check that liudongd runs at %s, that %s is its address (liudong peer "
			   "list), and that no firewall blocks the port"),
			 name, r->address);
		add(dr, "peer_reachable", name, DOCTOR_FAIL, msg, advice);
	}

	/* In step. */
	if (r->lag == 0 && r->behind == 0) {
		snprintf(msg, sizeof(msg), _("%s is in step: nothing waits to go either way"),
			 name);
		add(dr, "peer_in_step", name, DOCTOR_OK, msg, NULL);
	} else {
		snprintf(msg, sizeof(msg),
			 _("%s is behind: %llu of our events wait for it, %llu of its are not yet "
			   "applied here"),
			 name, (unsigned long long)r->lag, (unsigned long long)r->behind);
		add(dr, "peer_in_step", name, DOCTOR_WARN, msg,
		    r->linked ? _("it catches up while connected; if the numbers do not fall, "
				  "see liudong status and the daemon's log")
			      : _("it catches up once connected"));
	}

	/* Its clock. */
	if (!r->skew_known) {
		if (r->linked) {
			snprintf(msg, sizeof(msg),
				 _("%s's clock is unknown: its version does not send it"), name);
			add(dr, "peer_clock", name, DOCTOR_WARN, msg,
			    _("upgrade it to compare the clocks"));
		}
		return;
	}
	int64_t off = r->skew_ms < 0 ? -r->skew_ms : r->skew_ms;
	/* Rounded: a Hello sent 600 s ahead arrives a few ms later, 599.99 s ahead. */
	long long secs = (long long)(off / 1000 + (off % 1000 >= 500));
	if (off > DOCTOR_SKEW_WARN_MS) {
		/* Whole sentences, for the translators. */
		const char *fmt;
		if (r->skew_ms > 0)
			fmt =
			    r->linked
				? _("%s's clock is %lld s (%lld min) ahead of this site's")
				: _("%s's clock was %lld s (%lld min) ahead of this site's at the "
				    "last contact");
		else
			fmt = r->linked
				  ? _("%s's clock is %lld s (%lld min) behind this site's")
				  : _("%s's clock was %lld s (%lld min) behind this site's at the "
				      "last contact");
		snprintf(msg, sizeof(msg), fmt, name, secs, (secs + 30) / 60);
		add(dr, "peer_clock", name, off > DOCTOR_SKEW_FAIL_MS ? DOCTOR_FAIL : DOCTOR_WARN,
		    msg,
		    _("set the clocks of both sites right with NTP (timedatectl set-ntp true): "
		      "event times and today's date come from them"));
	} else {
		snprintf(msg, sizeof(msg), _("%s's clock agrees with this site's (%lld s apart)"),
			 name, secs);
		add(dr, "peer_clock", name, DOCTOR_OK, msg, NULL);
	}
}

static void check_peers(struct doctor *dr, struct daemon *d, struct store_txn *txn)
{
	struct sync_peer_report *list = NULL;
	size_t n = 0;
	if (!d->sync || sync_report(d->sync, txn, &list, &n) != 0) {
		add(dr, "peers", NULL, DOCTOR_WARN, _("cannot tell the peers' state"), NULL);
		return;
	}
	if (n == 0)
		add(dr, "peers", NULL, DOCTOR_OK,
		    _("no peer is pinned: this site syncs with nobody"),
		    _("liudong peer add NAME --id SITE_ID --address HOST:PORT, when a peer site "
		      "is ready"));
	for (size_t i = 0; i < n; i++)
		check_peer(dr, d, &list[i]);
	free(list);
}

/* ---------------------------------------------------------------------------------------------- */
/* Quarantine                                                                                     */

static void check_quarantine(struct doctor *dr, struct store_txn *txn)
{
	char msg[1024];
	size_t total = 0;
	if (store_count(txn, TBL_QUARANTINE, &total) != 0) {
		add(dr, "quarantine", NULL, DOCTOR_WARN, _("cannot count the quarantined events"),
		    NULL);
		return;
	}
	uint64_t open = 0;
	bool counted = total <= DOCTOR_QUARANTINE_SCAN;
	struct store_cursor *c;
	if (counted && total && store_cursor_open(txn, TBL_QUARANTINE, &c) == 0) {
		struct store_val k, v;
		for (int rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
		     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
			Ld__Quarantined *q = ld__quarantined__unpack(NULL, v.len, v.data);
			open += !q || !q->resolved;
			if (q)
				ld__quarantined__free_unpacked(q, NULL);
		}
		store_cursor_close(c);
	} else if (!counted) {
		open = total;
	}
	if (open == 0) {
		add(dr, "quarantine", NULL, DOCTOR_OK, _("no quarantined event waits"), NULL);
		return;
	}
	if (counted)
		snprintf(msg, sizeof(msg), _("%llu quarantined events wait to be settled"),
			 (unsigned long long)open);
	else
		snprintf(msg, sizeof(msg),
			 _("%llu quarantined events are kept (open and settled: too many to "
			   "count here)"),
			 (unsigned long long)open);
	add(dr, "quarantine", NULL, DOCTOR_WARN, msg,
	    _("see liudong conflicts --open; settle each with liudong conflicts resolve ID "
	      "--note TEXT"));
}

/* A `loop` command: TXN is NULL (commands.h); the store is read in a transaction of its own. */
int cmd_doctor(struct request *rq, struct store_txn *txn)
{
	struct daemon *d = rq->daemon;
	struct doctor dr = {.findings = json_array()};
	(void)txn;
	check_identity(&dr, d);
	check_data_dir(&dr, d);
	check_socket(&dr, d);
	check_space(&dr, d);
	int rc = store_begin(d->store, false, &txn);
	if (rc) {
		json_decref(dr.findings);
		return request_fail(rq, rc, "cannot read the store: %s", lderr_str(rc));
	}
	check_peers(&dr, d, txn);
	check_quarantine(&dr, txn);
	store_abort(txn);
	json_object_set_new(rq->result, "ok", json_boolean(dr.failed == 0));
	json_object_set_new(rq->result, "failed", json_integer(dr.failed));
	json_object_set_new(rq->result, "warned", json_integer(dr.warned));
	json_object_set_new(rq->result, "findings", dr.findings);
	return 0;
}
