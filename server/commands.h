/*
 * commands.h: the control commands the daemon answers, one table. Each handler lives in the
 * cmd_*.c file of its group and follows request.h.
 */
#pragma once

#include <stdbool.h>

#include "idno.h"
#include "record.pb-c.h"
#include "request.h"
#include "store.h"
#include "lderr.h"

typedef int (*command_fn)(struct request *rq, struct store_txn *txn);

/*
 * Where a command runs (request.h). A read runs on a reader thread unless marked `loop`; `scan`
 * marks a read that goes through a whole table (or may: a list, a report), which readers.h keeps
 * from taking every reader thread. Each read handler, as audited for threads (issue 12):
 *   reader, short: site, pubkey (fixed config and identity), peer.list, branch.list, member.show,
 *     history, cert.show, cert.token, cert.verify (OpenSSL verifies with a context of its own),
 *     dues.list;
 *   reader, scan: conflicts, log, audit, member.list, member.find, meeting.list, due, stats,
 *     export;
 *   loop: status (sync's live peer state), peer.resync (changes sync's state), doctor (the
 *     peers' state, and quick stat calls: cmd_doctor.c); called with TXN NULL: what they read
 *     of the store they read in a transaction of their own (one thread never holds two).
 * With their write_if flag (--reveal), member.show, conflicts and export go to the writer.
 */
struct command {
	const char *name;
	bool write; /* runs on the writer thread in a write transaction */
	command_fn fn;
	const char *write_if; /* a read command that writes (audit) when this flag is given */
	void (*after)(struct daemon *d); /* on the loop thread after a successful write */
	bool scan;			 /* a long read: see above */
	bool loop; /* a read of what the loop thread owns: runs there, never on a reader thread */
};

/* The command called NAME, or NULL. */
const struct command *command_find(const char *name);

/* cmd_request.c: requests to the service centre (首问, 首办, 限时办结) */
int cmd_request_open(struct request *rq, struct store_txn *txn);
int cmd_request_handover(struct request *rq, struct store_txn *txn);
int cmd_request_forward(struct request *rq, struct store_txn *txn);
int cmd_request_answer(struct request *rq, struct store_txn *txn);
int cmd_request_close(struct request *rq, struct store_txn *txn);
int cmd_request_show(struct request *rq, struct store_txn *txn);
int cmd_request_list(struct request *rq, struct store_txn *txn);

/* cmd_service.c: the directory (找组织), notices and leave (请假), visits (走访慰问) */
int cmd_directory(struct request *rq, struct store_txn *txn);
int cmd_notice_send(struct request *rq, struct store_txn *txn);
int cmd_notice_answer(struct request *rq, struct store_txn *txn);
int cmd_notice_list(struct request *rq, struct store_txn *txn);
int cmd_visit_add(struct request *rq, struct store_txn *txn);
int cmd_visit_list(struct request *rq, struct store_txn *txn);

/* cmd_site.c */
int cmd_site(struct request *rq, struct store_txn *txn);
int cmd_pubkey(struct request *rq, struct store_txn *txn);
int cmd_peer_add(struct request *rq, struct store_txn *txn);
int cmd_peer_remove(struct request *rq, struct store_txn *txn);
int cmd_peer_list(struct request *rq, struct store_txn *txn);
int cmd_audit(struct request *rq, struct store_txn *txn);
int cmd_verify(struct request *rq, struct store_txn *txn);

/* cmd_member.c */

/*
 * Validate TEXT as an identity number (canonical form into IDNO) and load the member into *out
 * (the caller frees it with ld__member_state__free_unpacked(*out, NULL)). On failure the reason is
 * recorded in RQ: LD_EUSAGE (no TEXT), LD_EINPUT (not a valid number), LD_ENOTFOUND (no such
 * member).
 */
int member_lookup(struct request *rq, struct store_txn *txn, const char *text,
		  char idno[LD_IDNO_SIZE], Ld__MemberState **out);

int cmd_branch_add(struct request *rq, struct store_txn *txn);
int cmd_branch_list(struct request *rq, struct store_txn *txn);
int cmd_branch_join(struct request *rq, struct store_txn *txn);
int cmd_branch_leave(struct request *rq, struct store_txn *txn);
int cmd_member_add(struct request *rq, struct store_txn *txn);
int cmd_member_update(struct request *rq, struct store_txn *txn);
int cmd_member_show(struct request *rq, struct store_txn *txn);
int cmd_member_list(struct request *rq, struct store_txn *txn);
int cmd_member_find(struct request *rq, struct store_txn *txn);
int cmd_history(struct request *rq, struct store_txn *txn);

/* cmd_sync.c */
int cmd_status(struct request *rq, struct store_txn *txn);
int cmd_conflicts(struct request *rq, struct store_txn *txn);
int cmd_conflicts_resolve(struct request *rq, struct store_txn *txn);
int cmd_peer_resync(struct request *rq, struct store_txn *txn);
int cmd_log(struct request *rq, struct store_txn *txn);

/* After-hooks: new local events to push; the peer list changed. */
void after_events(struct daemon *d);
void after_peers(struct daemon *d);

/* cmd_doctor.c */
int cmd_doctor(struct request *rq, struct store_txn *txn);

/* cmd_cert.c */
int cmd_cert_issue(struct request *rq, struct store_txn *txn);
int cmd_cert_show(struct request *rq, struct store_txn *txn);
int cmd_cert_token(struct request *rq, struct store_txn *txn);
int cmd_cert_verify(struct request *rq, struct store_txn *txn);
int cmd_cert_revoke(struct request *rq, struct store_txn *txn);
int cmd_cert_review(struct request *rq, struct store_txn *txn);
int cmd_checkin(struct request *rq, struct store_txn *txn);

/* cmd_daily.c */
int cmd_meeting_add(struct request *rq, struct store_txn *txn);
int cmd_meeting_attend(struct request *rq, struct store_txn *txn);
int cmd_meeting_list(struct request *rq, struct store_txn *txn);
int cmd_dues_pay(struct request *rq, struct store_txn *txn);
int cmd_dues_list(struct request *rq, struct store_txn *txn);
int cmd_dues_refund(struct request *rq, struct store_txn *txn);
int cmd_dues_exempt(struct request *rq, struct store_txn *txn);
int cmd_report_add(struct request *rq, struct store_txn *txn);
int cmd_feedback(struct request *rq, struct store_txn *txn);
int cmd_contact(struct request *rq, struct store_txn *txn);
int cmd_depart(struct request *rq, struct store_txn *txn);
int cmd_return(struct request *rq, struct store_txn *txn);
int cmd_transfer_issue(struct request *rq, struct store_txn *txn);
int cmd_transfer_receive(struct request *rq, struct store_txn *txn);
int cmd_probation_opinion(struct request *rq, struct store_txn *txn);
int cmd_probation_decide(struct request *rq, struct store_txn *txn);
int cmd_lapse_open(struct request *rq, struct store_txn *txn);
int cmd_lapse_decide(struct request *rq, struct store_txn *txn);

/* cmd_report.c */
int cmd_due(struct request *rq, struct store_txn *txn);
int cmd_stats(struct request *rq, struct store_txn *txn);

/* cmd_bulk.c */
int cmd_export(struct request *rq, struct store_txn *txn);
int cmd_import(struct request *rq, struct store_txn *txn);

/* cmd_outflow.c */
int cmd_outflow_register(struct request *rq, struct store_txn *txn);
