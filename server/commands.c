/* commands.c: the table of control commands (see commands.h). */
#include "commands.h"

#include <string.h>

#include "daemon.h"
#include "sync.h"

void after_events(struct daemon *d)
{
	if (d->sync)
		sync_poke(d->sync);
}

void after_peers(struct daemon *d)
{
	if (d->sync)
		sync_reload(d->sync);
}

#define READ(n, f)                                                                                 \
	{                                                                                          \
		.name = n, .fn = f                                                                 \
	}
#define SCAN(n, f)                                                                                 \
	{                                                                                          \
		.name = n, .fn = f, .scan = true                                                   \
	}
#define LOOP(n, f)                                                                                 \
	{                                                                                          \
		.name = n, .fn = f, .loop = true                                                   \
	}
#define WRITE(n, f, then)                                                                          \
	{                                                                                          \
		.name = n, .write = true, .fn = f, .after = then                                   \
	}

static const struct command commands[] = {
    READ("site", cmd_site),
    READ("pubkey", cmd_pubkey),
    WRITE("peer.add", cmd_peer_add, after_peers),
    WRITE("peer.remove", cmd_peer_remove, after_peers),
    READ("peer.list", cmd_peer_list),
    LOOP("peer.resync", cmd_peer_resync),
    LOOP("status", cmd_status),
    LOOP("doctor", cmd_doctor),
    {.name = "conflicts", .fn = cmd_conflicts, .write_if = "reveal", .scan = true},
    WRITE("conflicts.resolve", cmd_conflicts_resolve, NULL),
    SCAN("log", cmd_log),
    SCAN("audit", cmd_audit),
    WRITE("verify", cmd_verify, NULL),
    WRITE("branch.add", cmd_branch_add, after_events), /* branch.published goes to the peers */
    READ("branch.list", cmd_branch_list),
    WRITE("branch.join", cmd_branch_join, NULL),
    WRITE("branch.leave", cmd_branch_leave, NULL),
    WRITE("member.add", cmd_member_add, after_events),
    WRITE("member.update", cmd_member_update, after_events),
    {.name = "member.show", .fn = cmd_member_show, .write_if = "reveal"},
    SCAN("member.list", cmd_member_list),
    SCAN("member.find", cmd_member_find),
    READ("history", cmd_history),
    WRITE("outflow.register", cmd_outflow_register, after_events),
    WRITE("cert.issue", cmd_cert_issue, after_events),
    READ("cert.show", cmd_cert_show),
    READ("cert.token", cmd_cert_token),
    READ("cert.verify", cmd_cert_verify),
    WRITE("cert.revoke", cmd_cert_revoke, after_events),
    WRITE("cert.review", cmd_cert_review, after_events),
    WRITE("checkin", cmd_checkin, after_events),
    WRITE("meeting.add", cmd_meeting_add, after_events),
    WRITE("meeting.attend", cmd_meeting_attend, after_events),
    SCAN("meeting.list", cmd_meeting_list),
    WRITE("dues.pay", cmd_dues_pay, after_events),
    READ("dues.list", cmd_dues_list),
    WRITE("dues.refund", cmd_dues_refund, after_events),
    WRITE("dues.exempt", cmd_dues_exempt, after_events),
    WRITE("report.add", cmd_report_add, after_events),
    WRITE("feedback", cmd_feedback, after_events),
    WRITE("contact", cmd_contact, after_events),
    WRITE("depart", cmd_depart, after_events),
    WRITE("return", cmd_return, after_events),
    WRITE("transfer.issue", cmd_transfer_issue, after_events),
    WRITE("transfer.receive", cmd_transfer_receive, after_events),
    WRITE("probation.opinion", cmd_probation_opinion, after_events),
    WRITE("probation.decide", cmd_probation_decide, after_events),
    WRITE("lapse.open", cmd_lapse_open, after_events),
    WRITE("lapse.decide", cmd_lapse_decide, after_events),
    SCAN("due", cmd_due),
    SCAN("stats", cmd_stats),
    {.name = "export", .fn = cmd_export, .write_if = "reveal", .scan = true},
    WRITE("import", cmd_import, after_events),
    WRITE("request.open", cmd_request_open, after_events),
    WRITE("request.handover", cmd_request_handover, after_events),
    WRITE("request.forward", cmd_request_forward, after_events),
    WRITE("request.answer", cmd_request_answer, after_events),
    WRITE("request.close", cmd_request_close, after_events),
    READ("request.show", cmd_request_show),
    SCAN("request.list", cmd_request_list),
    SCAN("directory", cmd_directory),
    WRITE("notice.send", cmd_notice_send, after_events),
    WRITE("notice.answer", cmd_notice_answer, after_events),
    SCAN("notice.list", cmd_notice_list),
    WRITE("visit.add", cmd_visit_add, after_events),
    SCAN("visit.list", cmd_visit_list),
};

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}
