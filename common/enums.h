/*
 * enums.h: the words of every enumerated option, in English and Chinese. The English word is the
 * canonical one: the one stored, synced, shown by --json and checked by the handlers; each has one
 * Chinese word or more that staff may type instead (`--reason 务工` is `--reason work`). The CLI
 * and the daemon both turn a Chinese word into its English one (enum_normalize); `-h` and bash
 * completion list the words from here (enum_for_option, enum_words).
 */
#pragma once

#include <stddef.h>

#define ENUM_ALIASES 3

struct ld_enum_word {
	const char *word;		  /* canonical, English */
	const char *zh[ENUM_ALIASES + 1]; /* Chinese, the first the usual one; NULL-terminated */
};

struct ld_enum {
	const char *name; /* what it is, for messages: "reason" */
	const struct ld_enum_word *words;
	size_t n;
};

extern const struct ld_enum enum_sex, enum_member_kind, enum_dues_category, enum_outflow_reason,
    enum_revoke_reason, enum_meeting_kind, enum_feedback_kind, enum_probation_result,
    enum_lapse_outcome, enum_location, enum_request_kind, enum_notice_kind, enum_visit_kind,
    enum_request_status, enum_request_action, enum_reminder_kind, enum_peer_state;

/* The canonical word of WORD (English or Chinese) in E (static), or NULL if it is none of them. */
const char *enum_canonical(const struct ld_enum *e, const char *word);

/*
 * WORD (canonical) of E as the calling thread shows it to people: its usual Chinese word (zh[0])
 * when the thread's messages are Chinese (i18n_chinese), else WORD; WORD too if it is none of E's.
 * Static, or WORD itself (borrowed from the caller).
 */
const char *enum_display(const struct ld_enum *e, const char *word);

/* The usual Chinese word (zh[0], static) of canonical WORD in E, or NULL if it is none of E's. */
const char *enum_zh(const struct ld_enum *e, const char *word);

/*
 * The enum option OPTION (its long name, no dashes) of COMMAND takes, or NULL if it takes free
 * text. COMMAND is named by its words ("member add") or its control name ("member.add").
 */
const struct ld_enum *enum_for_option(const char *command, const char *option);

/* WORD as COMMAND's OPTION means it: its canonical word if it is an enum's word, else WORD. */
const char *enum_normalize(const char *command, const char *option, const char *word);

/* E's words for people into BUF (LEN bytes): "work (务工), business (经商), ...". Returns BUF. */
char *enum_words(const struct ld_enum *e, char *buf, size_t len);

/* Every (command, option) pair that takes an enum, for completion: the Ith, or 0 past the end. */
int enum_option_at(size_t i, const char **command, const char **option, const struct ld_enum **e);
