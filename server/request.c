/*
 * request.c: see request.h. Lookups run where they arrived (request_lookup, on a control thread:
 * ctl.c). Scans become reader jobs (readers.h): a reader thread checks the request's text, runs
 * the handler in a read transaction of its own and prepares the answer. Commands marked `loop`
 * run at once on the loop thread. Write commands become writer jobs and are answered when their
 * batch has committed.
 */
#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "date.h"
#include "daemon.h"
#include "enums.h"
#include "i18n.h"
#include "input.h"
#include "logging.h"
#include "message.h"
#include "utf8.h"
#include "lderr.h"

/* KEY names RQ's attachment (ctl.proto), received. */
static bool is_attached(const struct request *rq, const char *key)
{
	return rq->attached && rq->req->attach && strcmp(rq->req->attach, key) == 0;
}

const char *request_param(const struct request *rq, const char *key)
{
	if (is_attached(rq, key))
		return rq->attached;
	for (size_t i = 0; i < rq->req->n_params; i++) {
		if (strcmp(rq->req->params[i]->key, key) == 0)
			return rq->req->params[i]->value;
	}
	return NULL;
}

size_t request_param_len(const struct request *rq, const char *key)
{
	if (is_attached(rq, key))
		return rq->attached_len;
	const char *v = request_param(rq, key);
	return v ? strlen(v) : 0;
}

const char *request_arg(const struct request *rq, unsigned n)
{
	for (size_t i = 0; i < rq->req->n_params; i++) {
		if (strcmp(rq->req->params[i]->key, "arg") == 0 && n-- == 0)
			return rq->req->params[i]->value;
	}
	return NULL;
}

bool request_flag(const struct request *rq, const char *key)
{
	return request_param(rq, key) != NULL;
}

const char *request_operator(const struct request *rq)
{
	return rq->req->operator_ ? rq->req->operator_ : "";
}

const char *request_words(const struct request *rq)
{
	static _Thread_local char words[64];
	snprintf(words, sizeof(words), "%s", rq->req->command ? rq->req->command : "");
	for (char *p = words; *p; p++) {
		if (*p == '.')
			*p = ' ';
	}
	return words;
}

int request_fail(struct request *rq, int err, const char *fmt, ...)
{
	va_list ap;
	locale_t old = i18n_use(rq->loc);
	va_start(ap, fmt);
	message_vformat(rq->error, sizeof(rq->error), _(fmt), ap);
	va_end(ap);
	i18n_restore(old);
	return err;
}

int request_date(struct request *rq, const char *name, const char *text, int32_t *out)
{
	int rc = text ? date_parse(text, out) : 0;
	if (rc == -ERANGE)
		return request_fail(
		    rq, LD_EINPUT,
		    "%s: '%s' is before 1900-01-01, the earliest date kept; check the "
		    "year",
		    name, text);
	if (rc)
		return request_fail(rq, LD_EINPUT, "%s: '%s' is not a real date; use YYYY-MM-DD",
				    name, text);
	return 0;
}

int request_date_opt(struct request *rq, int32_t *out)
{
	*out = date_today();
	return request_date(rq, "--date", request_param(rq, "date"), out);
}

int request_text(struct request *rq, const char *key, const char *value, int max)
{
	const char *why;
	if (input_text_check(value, (size_t)max, &why) != 0)
		return request_fail(rq, LD_EINPUT, "--%s %.200s; it is 1 to %d bytes of one line",
				    key, why, max);
	return 0;
}

int request_need_text(struct request *rq, const char *key, int max, const char **out)
{
	*out = request_param(rq, key);
	if (!*out)
		return request_fail(rq, LD_EUSAGE, "--%s is required; see liudong %s --help", key,
				    request_words(rq));
	return request_text(rq, key, *out, max);
}

void request_warn(struct request *rq, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	locale_t old = i18n_use(rq->loc);
	va_start(ap, fmt);
	message_vformat(line, sizeof(line), _(fmt), ap);
	va_end(ap);
	i18n_restore(old);
	json_array_append_new(rq->warnings, json_string(line));
}

/* Empty the result before a (re)run of the handler. */
static void request_reset(struct request *rq)
{
	free(rq->raw_json);
	rq->raw_json = NULL;
	json_object_clear(rq->result);
	json_array_clear(rq->warnings);
	rq->error[0] = '\0';
}

static int request_run(struct writer_job *job, struct store_txn *txn)
{
	struct request *rq = (struct request *)job;
	request_reset(rq);
	locale_t old = i18n_use(rq->loc); /* what the handler writes for people, in his language */
	int rc = rq->cmd->fn(rq, txn);
	i18n_restore(old);
	return rc;
}

void request_explain(struct request *rq)
{
	int err = rq->job.result;
	switch (err) {
	case LD_ESTOPPING: /* the writer's, whatever the handler said */
		request_fail(rq, err, "the daemon is stopping; try again when it is back");
		break;
	case LD_ENOSPACE: /* the disk, not the map (the writer grows that): store.h */
		request_fail(rq, err,
			     "no space left on the data disk (%.300s): nothing was recorded; free "
			     "some space there and try again",
			     rq->daemon->config.data_dir);
		break;
	case LD_ECORRUPT:
		if (!rq->error[0])
			request_fail(rq, err,
				     "a stored record is damaged: nothing was written; run liudong "
				     "verify and see the daemon's log");
		break;
	default:
		if (err && !rq->error[0])
			request_fail(rq, err,
				     "internal error in the daemon (its log has the details)");
	}
}

/* A part of a long command is durable (loop thread; the writer may be running the next). */
static void request_part_done(struct writer_job *job)
{
	struct request *rq = (struct request *)job;
	const struct command *cmd = command_find(rq->req->command);
	if (cmd->after)
		cmd->after(rq->daemon);
}

static void request_done(struct writer_job *job)
{
	struct request *rq = (struct request *)job;
	if (job->result == 0 && rq->cmd->after)
		rq->cmd->after(rq->daemon);
	rq->reply(rq);
}

/* An enum's word in Chinese becomes its English word (enums.h): handlers see and store that. */
static int request_enum_word(struct request *rq, Ld__Param *p)
{
	const char *canonical = enum_normalize(rq->req->command, p->key, p->value);
	if (canonical == p->value || strcmp(canonical, p->value) == 0)
		return 0;
	ProtobufCAllocator *a = &rq->budget.allocator;
	size_t n = strlen(canonical) + 1;
	char *copy = a->alloc(a->allocator_data, n);
	if (!copy)
		return request_fail(rq, LD_EINPUT, "the request is too large");
	memcpy(copy, canonical, n);
	a->free(a->allocator_data, p->value);
	p->value = copy;
	return 0;
}

/* Drop the newlines (LF or CR LF), tabs and spaces that end S: what a paste or a file adds. */
static void trim_line_end(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/*
 * Every text a client sends must be UTF-8 (GB 2312 or GBK text would be lost in the JSON); values
 * of one line are trimmed (input_trim) before any handler sees them. The operator named in the
 * audit is checked here, whatever client sent it: a client may speak to the socket directly.
 */
/* What is wrong with S, which utf8_valid refused: a control character, or bytes not UTF-8
 * (translated; static). */
static const char *text_fault(const char *s)
{
	size_t len = strlen(s), at = utf8_valid_prefix(s, len, false);
	uint32_t code;
	if (at < len && utf8_char(s + at, &code) > 0)
		return _("holds a control character (a tab, a line break...): type it on one line");
	return _("is not UTF-8 text: set a UTF-8 locale (e.g. LANG=zh_CN.UTF-8) and type it again");
}

static int request_check_text(struct request *rq)
{
	const char *why;
	int rc;
	if (rq->req->operator_)
		trim_line_end(rq->req->operator_);
	if (rq->req->operator_ && !utf8_valid(rq->req->operator_, false))
		return request_fail(rq, LD_EINPUT,
				    "--operator is not UTF-8 text; set a UTF-8 locale");
	if (rq->req->operator_)
		input_trim(rq->req->operator_);
	if (input_operator_check(request_operator(rq), &why) != 0)
		return request_fail(rq, LD_EINPUT, "--operator %.200s", why);
	if (rq->req->attach && rq->req->attach[0] && strcmp(rq->req->attach, "csv") != 0)
		return request_fail(rq, LD_EUSAGE,
				    "only a file's content can be sent as an attachment; update "
				    "liudong to the daemon's version");
	for (size_t i = 0; i < rq->req->n_params; i++) {
		Ld__Param *p = rq->req->params[i];
		/* A file's content (an import's "csv", attached or not) is checked by the import
		 * while it hashes the file, on another CPU, naming the line of its first fault
		 * (cmd_bulk.c, import_text_hash). Every other value is one line. */
		if (strcmp(p->key, "csv") == 0)
			continue;
		trim_line_end(p->value); /* a token pasted with its newline */
		if (!utf8_valid(p->key, false) || !utf8_valid(p->value, false)) {
			bool key_ok = utf8_valid(p->key, false);
			const char *fault = text_fault(key_ok ? p->value : p->key);
			if (strcmp(p->key, "arg") == 0)
				return request_fail(rq, LD_EINPUT, "an argument %s", fault);
			return request_fail(rq, LD_EINPUT, "--%s %s", key_ok ? p->key : "?", fault);
		}
		input_trim(p->value);
		if ((rc = request_enum_word(rq, p)))
			return rc;
	}
	return 0;
}

int request_accept(struct request *rq)
{
	rq->loc = i18n_locale(rq->req->lang); /* English if not known: silently */
	return rq->job.result = request_check_text(rq);
}

/*
 * The test knob of daemon.h (test_read_hold): a scan, its transaction open, says so with a file
 * DIR/held.N and waits until DIR/release exists. Any thread.
 */
static void request_test_hold(const char *dir)
{
	static atomic_uint held;
	char path[LD_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/held.%u", dir, atomic_fetch_add(&held, 1) + 1);
	FILE *f = fopen(path, "we");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/release", dir);
	struct stat st;
	struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
	while (stat(path, &st) != 0)
		nanosleep(&pause, NULL);
}

/* Check RQ's text and run its read handler in a read transaction; the result into job.result. */
static void request_read(struct request *rq)
{
	struct store_txn *txn;
	int rc = store_begin(rq->daemon->store, false, &txn);
	if (rc == 0) {
		if (rq->cmd->scan && rq->daemon->test_read_hold[0])
			request_test_hold(rq->daemon->test_read_hold);
		request_reset(rq);
		locale_t old = i18n_use(rq->loc);
		rc = rq->cmd->fn(rq, txn);
		i18n_restore(old);
		store_abort(txn);
	}
	rq->job.result = rc;
}

/* Reader thread: run the read, make the answer ready to send. */
static void request_read_run(struct reader_job *job)
{
	struct request *rq = (struct request *)((char *)job - offsetof(struct request, read));
	request_read(rq);
	job->result = rq->job.result;
	if (rq->prepare)
		rq->prepare(rq);
}

/* Loop thread: send it (job->result is LD_ESTOPPING if the read never ran). */
static void request_read_done(struct reader_job *job)
{
	struct request *rq = (struct request *)((char *)job - offsetof(struct request, read));
	rq->job.result = job->result;
	rq->reply(rq);
}

/* Whether RQ's command is a write (some are only with a flag: member show --reveal). */
static bool request_writes(const struct request *rq, const struct command *cmd)
{
	return cmd->write || (cmd->write_if && request_flag(rq, cmd->write_if));
}

void request_dispatch(struct request *rq)
{
	struct daemon *d = rq->daemon;
	rq->rules = d->config.rules;
	const struct command *cmd = command_find(rq->req->command);
	rq->cmd = cmd;
	bool write = cmd && request_writes(rq, cmd);
	if (cmd && !write && !cmd->loop) {
		rq->read.run = request_read_run;
		rq->read.done = request_read_done;
		rq->read.scan = cmd->scan;
		/* A scan: lookups are answered on the control threads (request_lookup). */
		readers_submit(d->readers, &rq->read);
		return;
	}
	if (!cmd) {
		rq->job.result = request_fail(
		    rq, LD_EUSAGE, "unknown command '%s'; see liudong --help", rq->req->command);
		rq->reply(rq);
		return;
	}
	if (write) {
		rq->job.run = request_run;
		rq->job.done = request_done;
		rq->job.part_done = request_part_done;
		writer_submit(d->writer, &rq->job);
		return;
	}
	/*
	 * A `loop` command: what it reads belongs to this thread. Its text was checked above. It
	 * gets no transaction: what it calls opens its own (sync's), and one thread must not hold
	 * two (store.h).
	 */
	request_reset(rq);
	locale_t old = i18n_use(rq->loc);
	rq->job.result = cmd->fn(rq, NULL);
	i18n_restore(old);
	rq->reply(rq);
}

bool request_lookup_here(struct request *rq)
{
	const struct command *cmd = command_find(rq->req->command);
	rq->cmd = cmd;
	return cmd && !cmd->loop && !cmd->scan && !request_writes(rq, cmd);
}

void request_lookup(struct request *rq, const struct rules *rules, struct store_txn **keep)
{
	rq->rules = *rules;
	int rc = store_read_begin(rq->daemon->store, keep);
	if (rc == 0) {
		request_reset(rq);
		locale_t old = i18n_use(rq->loc);
		rc = rq->cmd->fn(rq, *keep);
		i18n_restore(old);
		store_read_end(*keep);
	}
	rq->job.result = rc;
}

void request_free(struct request *rq)
{
	if (!rq)
		return;
	/* The state first: it may use the request's text till it is freed (an import's threads). */
	if (rq->state && rq->state_free)
		rq->state_free(rq->state);
	if (rq->req)
		ld__request__free_unpacked(rq->req, &rq->budget.allocator);
	free(rq->attached_buf);
	json_decref(rq->result);
	free(rq->raw_json);
	json_decref(rq->warnings);
	free(rq->answer);
	free(rq);
}
