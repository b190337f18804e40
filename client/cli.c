/*
 * cli.c: see cli.h.
 *
 * Parsing: global options may stand anywhere; the first one or two words name the command (the
 * longest match in the table wins); the rest are its options (`--name VALUE`, `--name=VALUE`,
 * flags) and positionals. Usage errors exit 2 before anything is sent.
 */
#include "cli.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "enums.h"
#include "frame.h"
#include "i18n.h"
#include "input.h"
#include "message.h"
#include "output.h"
#include "status.h"
#include "term.h"
#include "utf8.h"

#define DEFAULT_SOCKET "/run/liudong/liudongd.sock"

/* Shorthands for the table: C(words, ctl, min, max, args, help) then options. */
#define C(w, c, lo, hi, a, h)                                                                      \
	.words = w, .ctl = c, .min_args = lo, .max_args = hi, .args = a, .help = h
#define REQ(n, m)                                                                                  \
	{                                                                                          \
		.name = n, .has_arg = true, .required = true, .meta = m                            \
	}
#define OPT(n, m)                                                                                  \
	{                                                                                          \
		.name = n, .has_arg = true, .meta = m                                              \
	}
#define FLAG(n)                                                                                    \
	{                                                                                          \
		.name = n                                                                          \
	}

static const struct cmd_spec commands[] = {
    {C("site", "site", 0, 0, "", "this site: id, name, code, log")},
    {C("pubkey", "pubkey", 0, 1, "[PEER]", "the site's (or a peer's) Ed25519 public key, PEM"),
     .print = print_pubkey},
    {C("peer add", "peer.add", 1, 1, "NAME",
       "pin a peer site by its id; without --address it dials us, we never dial it"),
     .opts = {REQ("id", "SITE_ID"), OPT("address", "HOST:PORT")}},
    {C("peer remove", "peer.remove", 1, 1, "NAME",
       "forget a peer; refused while members are registered out to it, unless --force"),
     .opts = {FLAG("force")}},
    {C("peer list", "peer.list", 0, 0, "", "the pinned peers")},
    {C("peer resync", "peer.resync", 1, 1, "NAME",
       "send NAME everything that concerns it again, from the start")},
    {C("status", "status", 0, 1, "[PEER]",
       "sync with each peer: state, last contact, lag, last error; PEER: all its fields"),
     .hide = "site_id,address,head_seq,acked_seq,their_head_seq,applied_seq", .one = "peers"},
    {C("doctor", "doctor", 0, 0, "",
       "check this site: key, certificate, permissions, disk, peers, clocks, quarantine"),
     .print = print_doctor, .check = check_doctor},
    {C("conflicts", "conflicts", 0, 0, "",
       "events refused between peers, and double payments (full numbers with --reveal)"),
     .opts = {FLAG("open"), FLAG("reveal")}, .print = print_conflicts},
    {C("conflicts resolve", "conflicts.resolve", 1, 1, "ID",
       "settle a conflict (audited; the event stays in the log)"),
     .opts = {REQ("note", "TEXT")}},
    {C("log", "log", 0, 0, "", "the event log, oldest first"),
     .opts = {OPT("from", "SEQ"), OPT("limit", "N")}},
    {C("verify", "verify", 0, 0, "", "walk the log's hash chain and check the state tables"),
     .check = check_verify},
    {C("audit", "audit", 0, 0, "", "who changed or revealed what"),
     .opts = {OPT("since", "DATE"), OPT("member", "IDNO")}, .rows = "entries", .hide = "uid"},
    {C("branch add", "branch.add", 1, 1, "CODE",
       "add a branch (党支部); with a directory option it is published to the peers (找组织)"),
     .opts = {REQ("name", "NAME"), FLAG("temporary"), OPT("address", "TEXT"),
	      OPT("contact", "NAME"), OPT("phone", "PHONE"), FLAG("accepts-mobile")}},
    {C("branch list", "branch.list", 0, 0, "", "the site's branches")},
    {C("branch join", "branch.join", 2, 10000, "CODE IDNO...",
       "put members in a (temporary) branch of this site: all of them or none")},
    {C("branch leave", "branch.leave", 2, 10000, "CODE IDNO...",
       "take members out of the branch of this site they were put in")},
    {C("member add", "member.add", 0, 0, "", "register a member at his outflow site"),
     .opts = {REQ("id", "IDNO"), REQ("name", "NAME"), REQ("sex", "M|F"), REQ("birth", "DATE"),
	      REQ("joined", "DATE"), REQ("kind", "full|probationary"), REQ("branch", "CODE"),
	      REQ("dues-category", "CATEGORY"), OPT("income", "YUAN"), OPT("dues", "YUAN"),
	      OPT("phone", "PHONE")}},
    {C("member update", "member.update", 1, 1, "IDNO",
       "outflow site: change a member's record; his monthly dues are computed again"),
     .opts = {OPT("name", "NAME"), OPT("phone", "PHONE"), OPT("income", "YUAN"),
	      OPT("dues-category", "CATEGORY"), OPT("dues", "YUAN"),
	      OPT("kind", "full|probationary"), OPT("branch", "CODE"), OPT("date", "DATE")}},
    {C("member show", "member.show", 1, 1, "IDNO", "one member (full number only with --reveal)"),
     .opts = {FLAG("reveal")}},
    {C("member list", "member.list", 0, 0, "", "members, by state or branch"),
     .opts = {OPT("state", "STATE"), OPT("branch", "CODE"), OPT("case", "lapse")},
     .rows = "members"},
    {C("member find", "member.find", 1, 1, "TEXT",
       "members whose name, phone or place contains TEXT, or whose number is TEXT"),
     .rows = "members"},
    {C("history", "history", 1, 1, "IDNO", "every event about a member, oldest first"),
     .rows = "events", .hide = "local_seq,time"},
    {C("outflow register", "outflow.register", 1, 1, "IDNO",
       "register a member out (外出登记) to a peer site"),
     .opts = {REQ("to", "PEER"), REQ("place", "TEXT"),
	      REQ("reason", "work|business|residence|study|other"), REQ("from", "DATE"),
	      OPT("until", "DATE"), FLAG("fixed-place"), OPT("phone", "PHONE"),
	      OPT("employer", "TEXT"), OPT("suggest-branch", "CODE")}},
    {C("cert issue", "cert.issue", 1, 1, "IDNO",
       "issue the activity certificate (流动党员活动证) of a member registered out"),
     .opts = {OPT("valid-days", "N")}},
    {C("cert show", "cert.show", 1, 1, "NUMBER", "a certificate: status, validity, reviews")},
    {C("cert token", "cert.token", 1, 1, "NUMBER", "the certificate's LD1: token"),
     .print = print_token},
    {C("cert qr", "cert.token", 1, 1, "NUMBER",
       "the token as a QR code in the terminal, or as a PNG file"),
     .opts = {OPT("png", "FILE")}, .print = print_qr},
    {C("cert verify", "cert.verify", 1, 1, "TOKEN",
       "check a token offline: issuer, signature, revocation, expiry"),
     .check = check_cert_verify},
    {C("cert revoke", "cert.revoke", 1, 1, "NUMBER", "revoke a certificate (issuing site)"),
     .opts = {REQ("reason", "lost|returned|transferred|lapsed|void")}},
    {C("cert review", "cert.review", 1, 1, "NUMBER", "record the annual review (年审)"),
     .opts = {REQ("result", "TEXT"), FLAG("failed"), OPT("date", "DATE")}},
    {C("checkin", "checkin", 1, 1, "TOKEN",
       "report in (报到) at the inflow site with the certificate token"),
     .opts = {REQ("branch", "CODE"), OPT("contact", "TEXT"), OPT("date", "DATE")}},
    {C("meeting add", "meeting.add", 0, 0, "", "record an organizational life meeting (组织生活)"),
     .opts = {REQ("branch", "CODE"),
	      REQ("kind",
		  "branch-meeting|committee|group|lecture|theme-day|life-meeting|appraisal"),
	      REQ("topic", "TEXT"), OPT("date", "DATE")}},
    {C("meeting attend", "meeting.attend", 2, 2, "MEETING IDNO", "record attendance (考勤)"),
     .opts = {FLAG("absent"), OPT("reason", "TEXT")}},
    {C("meeting list", "meeting.list", 0, 0, "", "meetings held here"),
     .opts = {OPT("branch", "CODE"), OPT("from", "DATE"), OPT("to", "DATE")}},
    {C("dues pay", "dues.pay", 1, 1, "IDNO",
       "record dues (党费) paid for whole months; over ten times what they owe needs --voluntary"),
     .opts = {REQ("from", "YYYY-MM"), OPT("to", "YYYY-MM"), REQ("amount", "YUAN"),
	      OPT("date", "DATE"), FLAG("voluntary")}},
    {C("dues list", "dues.list", 1, 1, "IDNO", "a member's dues receipts"), .hide = "voluntary"},
    {C("dues exempt", "dues.exempt", 1, 1, "IDNO",
       "outflow site: approved reduced or zero dues for some months (少交/免交)"),
     .opts = {REQ("monthly", "YUAN"), REQ("approved-by", "TEXT"), REQ("reason", "TEXT"),
	      REQ("from", "YYYY-MM"), OPT("to", "YYYY-MM")}},
    {C("dues refund", "dues.refund", 1, 1, "RECEIPT", "refund a receipt (a double payment)"),
     .opts = {REQ("reason", "TEXT")}},
    {C("feedback", "feedback", 1, 1, "IDNO",
       "inflow site: an important situation or help given (反馈, 帮扶)"),
     .opts = {REQ("text", "TEXT"), OPT("kind", "situation|help"), OPT("date", "DATE")}},
    {C("report add", "report.add", 1, 1, "IDNO", "outflow site: a thought report (思想汇报)"),
     .opts = {REQ("summary", "TEXT"), OPT("date", "DATE")}},
    {C("contact", "contact", 1, 1, "IDNO", "outflow site: new phone, place, employer, address"),
     .opts = {OPT("phone", "PHONE"), OPT("place", "TEXT"), OPT("employer", "TEXT"),
	      OPT("address", "TEXT")}},
    {C("depart", "depart", 1, 1, "IDNO", "inflow site: the branch's assessment as he leaves"),
     .opts = {REQ("assessment", "TEXT"), OPT("date", "DATE")}},
    {C("return", "return", 1, 1, "IDNO",
       "outflow site: 查验 on his return; recalls the certificate"),
     .opts = {REQ("summary", "TEXT"), OPT("date", "DATE")}},
    {C("transfer issue", "transfer.issue", 1, 1, "IDNO",
       "outflow site: a signed letter moving his relation (介绍信)"),
     .opts = {REQ("to", "PEER"), REQ("org", "TEXT"), OPT("date", "DATE")}},
    {C("transfer receive", "transfer.receive", 1, 1, "LETTER",
       "the receiving site: acknowledge a transfer letter (回执)"),
     .opts = {OPT("date", "DATE")}},
    {C("probation opinion", "probation.opinion", 1, 1, "IDNO",
       "inflow site: opinion on a probationary member"),
     .opts = {REQ("text", "TEXT")}},
    {C("probation decide", "probation.decide", 1, 1, "IDNO",
       "outflow site: the formal organization's decision"),
     .opts = {REQ("result", "full|extend|cancel"), OPT("until", "DATE"), OPT("date", "DATE")}},
    {C("lapse open", "lapse.open", 1, 1, "IDNO", "outflow site: open a lapse case"),
     .opts = {REQ("grounds", "TEXT")}},
    {C("lapse decide", "lapse.decide", 1, 1, "IDNO", "outflow site: record the decision"),
     .opts = {REQ("outcome", "cleared|correction|suspension|removal")}},
    {C("due", "due", 0, 0, "", "reminders of the rules with a clock, for this site"),
     .opts = {OPT("as-of", "DATE")}, .rows = "reminders", .count = "count"},
    {C("stats", "stats", 0, 0, "",
       "members by state, destination and reason; certificates; "
       "dues; attendance"),
     .opts = {OPT("as-of", "DATE")}},
    {C("export", "export", 1, 1, "members|certs|dues|attendance",
       "write a register as CSV (UTF-8 with BOM, for Excel) or JSON; --out FILE is made 0600"),
     .opts = {OPT("format", "csv|json"), OPT("out", "FILE"), FLAG("force")}, .local = local_export},
    {C("import", "import", 2, 2, "members FILE",
       "register members from a CSV register: all rows or none"),
     .local = local_import},
    {C("directory", "directory", 0, 1, "[PEER]",
       "the branches peers publish, to find a member's organization (找组织)"),
     .opts = {OPT("search", "TEXT")}, .rows = "branches"},
    {C("notice send", "notice.send", 1, 10000, "IDNO...",
       "outflow site: notify members of an election, appraisal or other activity"),
     .opts = {REQ("kind", "election|appraisal|other"), REQ("date", "DATE"), REQ("text", "TEXT")}},
    {C("notice answer", "notice.answer", 2, 2, "NOTICE IDNO",
       "outflow site: he attends, or asks leave with a reason (请假)"),
     .opts = {FLAG("attend"), FLAG("leave"), OPT("reason", "TEXT")}},
    {C("notice list", "notice.list", 0, 0, "", "notices and each member's answer"),
     .opts = {FLAG("open")}, .rows = "notices"},
    {C("visit add", "visit.add", 1, 1, "IDNO",
       "a visit to a member or his family (走访慰问), by either of his sites, and the help given"),
     .opts = {REQ("kind", "holiday|hardship|illness|family|other"), REQ("text", "TEXT"),
	      OPT("help", "TEXT"), OPT("date", "DATE")}},
    {C("visit list", "visit.list", 0, 1, "[IDNO]", "visits recorded, newest last"),
     .rows = "visits"},
    {C("request open", "request.open", 0, 0, "",
       "a matter brought to the service centre; the operator is its first-inquiry owner (首问)"),
     .opts = {REQ("kind", "transfer|org-life|dues|employment|housing|schooling|rights|other"),
	      REQ("text", "TEXT"), OPT("member", "IDNO"), OPT("from-person", "TEXT"),
	      OPT("phone", "PHONE"), OPT("date", "DATE")}},
    {C("request handover", "request.handover", 1, 1, "REQ",
       "hand a request to the person whose duty it is (首办)"),
     .opts = {REQ("to", "NAME"), OPT("note", "TEXT")}},
    {C("request forward", "request.forward", 1, 1, "REQ",
       "forward a request about a member to his other site; the owner stays"),
     .opts = {REQ("to", "PEER"), OPT("note", "TEXT")}},
    {C("request answer", "request.answer", 1, 1, "REQ", "a step of a request, kept in its trail"),
     .opts = {REQ("text", "TEXT")}},
    {C("request close", "request.close", 1, 1, "REQ", "close a request with its result"),
     .opts = {REQ("result", "TEXT")}},
    {C("request show", "request.show", 1, 1, "REQ", "a request and its trail")},
    {C("request list", "request.list", 0, 0, "", "requests this site holds"),
     .opts = {FLAG("open"), FLAG("overdue"), OPT("owner", "NAME"), OPT("member", "IDNO")},
     .rows = "requests", .hide = "site,opened"},
    {C("dues calc", NULL, 0, 0, "", "monthly dues for a category and income (no daemon needed)"),
     .opts = {REQ("category", "CATEGORY"), OPT("income", "YUAN"), OPT("dues", "YUAN")},
     .local = local_dues_calc},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cmd_spec *cli_commands(size_t *n)
{
	*n = N_COMMANDS;
	return commands;
}

/*
 * --json anywhere on the command line: a failure is then also one JSON object on stdout. Set
 * before anything can fail, so that a usage error says so too. json_error_with: the answer a
 * failure found by a check belongs to (verify, cert verify), printed with the error in it.
 */
static bool json_errors;
static json_t *json_error_with;
static bool json_error_held; /* a list half printed: keep the error for it (cli_json_error_hold) */
static json_t *json_error_kept;

void cli_json_error_hold(bool hold)
{
	json_error_held = hold;
}

json_t *cli_json_error_take(void)
{
	json_t *e = json_error_kept;
	json_error_kept = NULL;
	return e;
}

/* The error object {"error": {"code": CODE, "message": LINE}} (into WITH if given) on stdout. */
static void json_error(int code, char *line)
{
	json_t *msg = json_string(utf8_one_line(line)); /* input it quotes may be anything */
	json_t *error = json_pack("{s:i, s:o*}", "code", code, "message", msg);
	if (json_error_held) {
		json_decref(json_error_kept);
		json_error_kept = error;
		return;
	}
	json_t *o = json_error_with ? json_incref(json_error_with) : json_object();
	json_object_set_new(o, "error", error);
	char *s = json_dumps(o, JSON_COMPACT);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

int cli_fail(int code, const char *fmt, ...)
{
	char msg[2048], line[8192];
	va_list ap;
	va_start(ap, fmt);
	message_vformat(msg, sizeof(msg), _(fmt), ap); /* quoted input cut at 80 characters */
	va_end(ap);
	/* One line, whatever the input it quotes: control characters are shown escaped. */
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p && n + 5 < sizeof(line); p++) {
		if (*p == '\n')
			n += (size_t)snprintf(line + n, sizeof(line) - n, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02x", *p);
		else
			line[n++] = (char)*p;
	}
	line[n] = '\0';
	fprintf(stderr, "liudong: %s\n", line);
	if (json_errors)
		json_error(code, line);
	return code;
}

const char *cli_param(const Ld__Request *req, const char *key)
{
	for (size_t i = 0; i < req->n_params; i++) {
		if (strcmp(req->params[i]->key, key) == 0)
			return req->params[i]->value;
	}
	return NULL;
}

/* C has an option NAME that takes a value. */
static bool command_has_value_option(const struct cmd_spec *c, const char *name)
{
	for (const struct opt_spec *o = c->opts; o->name; o++)
		if (o->has_arg && strcmp(o->name, name) == 0)
			return true;
	return false;
}

static void usage_command(FILE *out, const struct cmd_spec *c)
{
	fprintf(out, "%s %s%s%s", _("usage: liudong"), c->words, c->args[0] ? " " : "", c->args);
	for (const struct opt_spec *o = c->opts; o->name; o++) {
		fprintf(out, " %s--%s%s%s%s", o->required ? "" : "[", o->name,
			o->has_arg ? " " : "", o->has_arg ? o->meta : "", o->required ? "" : "]");
	}
	fprintf(out, "\n  %s\n", _(c->help));
	for (const struct opt_spec *o = c->opts; o->name; o++) {
		const struct ld_enum *e = enum_for_option(c->words, o->name);
		if (e) {
			char words[512];
			fprintf(out, "  --%s: %s\n", o->name, enum_words(e, words, sizeof(words)));
		}
	}
}

static void usage_all(FILE *out, const char *group)
{
	fprintf(out, "%s\n\n",
		_("usage: liudong [-s SOCKET] [--json] [--operator NAME] COMMAND [ARGS]"));
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct cmd_spec *c = &commands[i];
		size_t n = group ? strlen(group) : 0;
		if (group &&
		    (strncmp(c->words, group, n) != 0 || (c->words[n] && c->words[n] != ' ')))
			continue;
		char head[64];
		snprintf(head, sizeof(head), "%s%s%s", c->words, c->args[0] ? " " : "", c->args);
		fprintf(out, "  %-28s %s\n", head, _(c->help));
	}
	fputc('\n', out);
	fprintf(out,
		_("Global options: -s, --socket PATH (default $LIUDONG_SOCKET, else %s),\n  --json "
		  "(one JSON object on stdout, in English), --operator NAME (default $USER), -h, "
		  "--help, --version.\n`liudong COMMAND --help` shows a command's options.\n"),
		DEFAULT_SOCKET);
}

/* Find the command named by WORDS (argc of them): the longest match. *used gets words taken. */
static const struct cmd_spec *find_command(int argc, char **words, int *used)
{
	if (argc >= 2) {
		char two[128];
		snprintf(two, sizeof(two), "%s %s", words[0], words[1]);
		for (size_t i = 0; i < N_COMMANDS; i++) {
			if (strcmp(commands[i].words, two) == 0) {
				*used = 2;
				return &commands[i];
			}
		}
	}
	if (argc >= 1) {
		for (size_t i = 0; i < N_COMMANDS; i++) {
			if (strcmp(commands[i].words, words[0]) == 0) {
				*used = 1;
				return &commands[i];
			}
		}
	}
	return NULL;
}

static bool is_group(const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strncmp(commands[i].words, word, n) == 0 && commands[i].words[n] == ' ')
			return true;
	}
	return false;
}

/* Append KEY=VALUE to REQ. The strings are borrowed from argv or static. */
static int add_param(Ld__Request *req, const char *key, const char *value)
{
	Ld__Param **p = realloc(req->params, (req->n_params + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	req->params = p;
	Ld__Param *param = malloc(sizeof(*param));
	if (!param)
		return -ENOMEM;
	ld__param__init(param);
	param->key = (char *)key;
	param->value = (char *)value;
	req->params[req->n_params++] = param;
	return 0;
}

static void request_clear(Ld__Request *req)
{
	for (size_t i = 0; i < req->n_params; i++)
		free(req->params[i]);
	free(req->params);
	req->params = NULL;
	req->n_params = 0;
}

/* Take a global option at argv[*i] if there is one. Returns 1 if taken, 0 if not, or exit code. */
static int global_option(struct cli *cli, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (strcmp(a, "--json") == 0) {
		cli->json = true;
		return 1;
	}
	const char *names[][2] = {{"-s", "--socket"}, {"--operator", "--operator"}};
	for (int k = 0; k < 2; k++) {
		size_t n = strlen(names[k][1]);
		const char *value = NULL;
		if (strcmp(a, names[k][0]) == 0 || strcmp(a, names[k][1]) == 0) {
			if (*i + 1 >= argc)
				return -cli_fail(LD_EXIT_USAGE, "%s needs a value", a);
			value = argv[++*i];
		} else if (strncmp(a, names[k][1], n) == 0 && a[n] == '=') {
			value = a + n + 1;
		}
		if (value) {
			if (k == 0)
				cli->socket = value;
			else
				cli->operator_name = value;
			return 1;
		}
	}
	return 0;
}

/* Say why the daemon's socket PATH could not be reached (ERR from conn_open); returns exit 6. */
static int unreachable(const char *path, int err)
{
	switch (err) {
	case -ENOENT:
		return cli_fail(LD_EXIT_UNAVAILABLE,
				"no liudongd socket at %s: start liudongd (liudongd -c "
				"DIR/liudongd.conf), or name its socket with -s or $LIUDONG_SOCKET",
				path);
	case -ECONNREFUSED: {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return cli_fail(LD_EXIT_UNAVAILABLE,
					"%s is a directory, not liudongd's socket: name the socket "
					"in it (e.g. %s/liudongd.sock) with -s or $LIUDONG_SOCKET",
					path, path);
		if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			return cli_fail(LD_EXIT_UNAVAILABLE,
					"%s is not a socket: name liudongd's socket (the control "
					"socket of its liudongd.conf) with -s or $LIUDONG_SOCKET",
					path);
		return cli_fail(
		    LD_EXIT_UNAVAILABLE,
		    "nothing answers on %s (liudongd stopped?): start liudongd, or name "
		    "the running daemon's socket with -s or $LIUDONG_SOCKET",
		    path);
	}
	case -EACCES:
	case -EPERM:
		return cli_fail(LD_EXIT_UNAVAILABLE,
				"permission denied on %s: ask for your account to be put in the "
				"socket's group, or run as the daemon's user",
				path);
	case -ENAMETOOLONG:
		return cli_fail(LD_EXIT_UNAVAILABLE,
				"the socket path %s is too long (at most 107 bytes): choose a "
				"shorter one",
				path);
	default:
		return cli_fail(LD_EXIT_UNAVAILABLE, "cannot reach liudongd at %s: %s", path,
				lderr_str(err));
	}
}

int cli_connect(const struct cli *cli, int *fd)
{
	*fd = conn_open(cli->socket);
	return *fd < 0 ? unreachable(cli->socket, *fd) : 0;
}

int cli_send(const struct cli *cli, int fd, const Ld__Request *req)
{
	int rc = conn_send(fd, req);
	if (rc == -EMSGSIZE)
		return cli_fail(LD_EXIT_INVALID, "the request is too large (over %u MiB)",
				(unsigned)(LD_CTL_FRAME_MAX >> 20));
	if (rc == -EFAULT) /* an import's file, mapped, was cut short while the kernel read it */
		return cli_fail(LD_EXIT_INVALID,
				"the file got shorter while it was sent; nothing is lost: import "
				"it again once it is written whole");
	if (rc)
		return cli_fail(LD_EXIT_UNAVAILABLE,
				"liudongd at %s closed the connection; see its log", cli->socket);
	return 0;
}

int cli_receive(const struct cli *cli, int fd, Ld__Response **out)
{
	Ld__Response *resp;
	if (conn_receive(fd, &resp) != 0)
		return cli_fail(LD_EXIT_UNAVAILABLE,
				"liudongd at %s closed the connection; see its log", cli->socket);
	for (size_t i = 0; i < resp->n_warnings; i++)
		fprintf(stderr, "liudong: %s\n", resp->warnings[i]);
	int code = resp->status;
	if (code != 0) {
		/* The daemon's message is whole: it cut what it quoted. */
		cli_fail(code, "%.1000s",
			 resp->error && resp->error[0] ? resp->error : _("failed"));
		ld__response__free_unpacked(resp, NULL);
		return code;
	}
	*out = resp;
	return 0;
}

int cli_call(const struct cli *cli, const Ld__Request *req, Ld__Response **out)
{
	int fd;
	int code = cli_connect(cli, &fd);
	if (code == 0)
		code = cli_send(cli, fd, req);
	if (code == 0)
		code = cli_receive(cli, fd, out);
	if (fd >= 0)
		close(fd);
	return code;
}

int cli_request(const struct cli *cli, const Ld__Request *req, json_t **result)
{
	*result = NULL;
	Ld__Response *resp;
	int code = cli_call(cli, req, &resp);
	if (code)
		return code;
	json_error_t jerr;
	*result = json_loads(resp->json ? resp->json : "{}", 0, &jerr);
	if (!*result)
		code = cli_fail(LD_EXIT_INTERNAL, "the daemon's answer is not JSON: %s", jerr.text);
	ld__response__free_unpacked(resp, NULL);
	return code;
}

static int run_remote(const struct cli *cli, const struct cmd_spec *c, Ld__Request *req)
{
	if (cli->json && !c->check && !c->one) {
		/* The daemon's answer is one compact JSON object already: print it as it came. */
		Ld__Response *resp;
		int code = cli_call(cli, req, &resp);
		if (code == 0) {
			fputs(resp->json && resp->json[0] ? resp->json : "{}", stdout);
			fputc('\n', stdout);
			ld__response__free_unpacked(resp, NULL);
		}
		return code;
	}
	json_t *result;
	int code = cli_request(cli, req, &result);
	if (code)
		return code;
	const char *name = c->one ? cli_param(req, "arg") : NULL;
	if (name) {
		/* The detail view: the one row of the list named NAME, all its fields. */
		json_t *rows = json_object_get(result, c->one), *row = NULL;
		for (size_t i = 0; !row && i < json_array_size(rows); i++) {
			const char *n =
			    json_string_value(json_object_get(json_array_get(rows, i), "name"));
			if (n && strcmp(n, name) == 0)
				row = json_array_get(rows, i);
		}
		if (row)
			output_print(stdout, row, cli->json);
		else
			code = cli_fail(LD_EXIT_NOT_FOUND,
					"no peer named '%s'; see liudong peer list", name);
		json_decref(result);
		return code;
	}
	if (cli->json && c->check) {
		/* One object either way: the answer, with the error in it if the check fails. */
		json_error_with = result;
		code = c->check(result);
		json_error_with = NULL;
		if (code == 0)
			output_print(stdout, result, true);
		json_decref(result);
		return code;
	}
	if (cli->json) {
		output_print(stdout, result, true);
	} else if (!c->print) {
		/* A long list through $PAGER; a record (member show) never: it would stop a paste.
		 */
		FILE *out = output_has_table(result) ? term_page_begin() : stdout;
		output_print(out, result, false);
		term_page_end(out);
	} else
		code = c->print(result, req);
	if (code == 0 && c->check)
		code = c->check(result);
	json_decref(result);
	return code;
}

static int run_command(struct cli *cli, const struct cmd_spec *c, int argc, char **argv)
{
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.command = (char *)c->ctl;
	int nargs = 0, code = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int g = global_option(cli, argc, argv, &i);
		if (g < 0) {
			code = -g;
			goto out;
		}
		if (g)
			continue;
		/* `visit add ... --help TEXT` (the help given, 走访慰问): --help followed by a
		 * value is that command's option; alone it asks for the usage, as everywhere. */
		bool help_value = strcmp(a, "--help") == 0 && command_has_value_option(c, "help") &&
				  i + 1 < argc && argv[i + 1][0] != '-';
		if (!help_value && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			usage_command(stdout, c);
			goto out;
		}
		if (strncmp(a, "--", 2) == 0 && a[2]) {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt_spec *o = c->opts;
			while (o->name && (strlen(o->name) != n || strncmp(o->name, name, n) != 0))
				o++;
			if (!o->name) {
				char given[512]; /* cut again to 80 characters by cli_fail */
				snprintf(given, sizeof(given), "%.*s", (int)n, name);
				code = cli_fail(LD_EXIT_USAGE,
						"unknown option --%s for '%s'; see "
						"liudong %s --help",
						given, c->words, c->words);
				goto out;
			}
			const char *value = "";
			if (o->has_arg) {
				if (eq) {
					value = eq + 1;
				} else if (i + 1 < argc) {
					value = argv[++i];
				} else {
					code = cli_fail(LD_EXIT_USAGE, "--%s needs a value (%s)",
							o->name, o->meta);
					goto out;
				}
			} else if (eq) {
				code = cli_fail(LD_EXIT_USAGE, "--%s takes no value", o->name);
				goto out;
			}
			value = enum_normalize(c->words, o->name, value); /* 务工 is work */
			if (cli_param(&req, o->name)) {
				code = cli_fail(LD_EXIT_USAGE, "--%s given twice", o->name);
				goto out;
			}
			if (add_param(&req, o->name, value)) {
				code = cli_fail(LD_EXIT_INTERNAL, "out of memory");
				goto out;
			}
			continue;
		}
		if (a[0] == '-' && a[1] && strcmp(a, "-") != 0) {
			code = cli_fail(LD_EXIT_USAGE,
					"unknown option %s for '%s'; see liudong %s --help", a,
					c->words, c->words);
			goto out;
		}
		if (nargs >= c->max_args) {
			code = cli_fail(LD_EXIT_USAGE,
					"unexpected argument '%s'; see liudong %s --help", a,
					c->words);
			goto out;
		}
		add_param(&req, "arg", a);
		nargs++;
	}
	if (nargs < c->min_args) {
		code = cli_fail(LD_EXIT_USAGE, "'%s' needs %s; see liudong %s --help", c->words,
				c->args, c->words);
		goto out;
	}
	for (const struct opt_spec *o = c->opts; o->name; o++) {
		if (o->required && !cli_param(&req, o->name)) {
			code = cli_fail(LD_EXIT_USAGE, "--%s is required; see liudong %s --help",
					o->name, c->words);
			goto out;
		}
	}
	req.operator_ = (char *)cli->operator_name; /* --operator may stand after the command */
	/* The daemon's messages in the user's language; --json stays English, machine-stable. */
	const char *lang = cli->json ? NULL : i18n_client_lang();
	req.lang = (char *)(lang ? lang : "");
	const char *why;
	if (c->ctl && input_operator_check(cli->operator_name, &why) != 0) {
		code = cli_fail(LD_EXIT_INVALID, "--operator %.200s (or $USER)", why);
		goto out;
	}
	output_hide(c->hide);
	output_subject(c->words);
	code = c->local	 ? c->local(cli, &req)
	       : c->rows ? run_paged(cli, c, &req)
			 : run_remote(cli, c, &req);
out:
	request_clear(&req);
	return code;
}

int cli_main(int argc, char **argv)
{
	struct cli cli = {0};
	cli.socket = getenv("LIUDONG_SOCKET");
	if (!cli.socket || !cli.socket[0])
		cli.socket = DEFAULT_SOCKET;
	cli.operator_name = getenv("USER");
	if (!cli.operator_name || !cli.operator_name[0]) {
		struct passwd *pw = getpwuid(getuid());
		cli.operator_name = pw ? pw->pw_name : "unknown";
	}

	if (argc >= 2 && strcmp(argv[1], "__complete") == 0)
		return cli_complete(argc - 2, argv + 2); /* for the shell's completion */
	if (argc == 2 && strcmp(argv[1], "__man") == 0)
		return cli_man_commands(); /* for liudong(1), at build time */
	for (int k = 1; k < argc; k++)
		json_errors = json_errors || strcmp(argv[k], "--json") == 0;
	int i = 1;
	for (; i < argc; i++) {
		int g = global_option(&cli, argc, argv, &i);
		if (g < 0)
			return -g;
		if (g)
			continue;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage_all(stdout, NULL);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			/* With --json anywhere on the line, one object like every answer's. */
			json_t *o = json_pack("{s:s}", "version", LD_VERSION);
			if (json_errors && o)
				output_print(stdout, o, true);
			else
				printf("liudong %s\n", LD_VERSION);
			json_decref(o);
			return 0;
		}
		if (argv[i][0] == '-')
			return cli_fail(LD_EXIT_USAGE, "unknown option %s; see liudong --help",
					argv[i]);
		break;
	}
	if (i >= argc)
		return cli_fail(LD_EXIT_USAGE, "no command given; see liudong --help");
	int used = 0;
	const struct cmd_spec *c = find_command(argc - i, argv + i, &used);
	if (!c) {
		if (is_group(argv[i])) {
			if (i + 1 >= argc)
				return cli_fail(LD_EXIT_USAGE,
						"'%s' needs a subcommand; see liudong %s "
						"--help",
						argv[i], argv[i]);
			if (strcmp(argv[i + 1], "-h") == 0 || strcmp(argv[i + 1], "--help") == 0) {
				usage_all(stdout, argv[i]);
				return 0;
			}
			return cli_fail(LD_EXIT_USAGE,
					"unknown command '%s %s'; see liudong %s --help", argv[i],
					argv[i + 1], argv[i]);
		}
		return cli_fail(LD_EXIT_USAGE, "unknown command '%s'; see liudong --help", argv[i]);
	}
	return run_command(&cli, c, argc - i - used, argv + i + used);
}
