/*
 * enums.c: see enums.h. The Chinese words are the ones of the rules (DOMAIN.md, the seed):
 * 务工/经商/居住/学习/其他, 三会一课 and 主题党日, the dues categories of 中组发〔2008〕3号, the
 * outcomes of 党章 art. 31 and of probation.
 */
#include "enums.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

#define ENUM(var, nm, ...)                                                                         \
	static const struct ld_enum_word var##_words[] = {__VA_ARGS__};                            \
	const struct ld_enum var = {nm, var##_words, sizeof(var##_words) / sizeof(var##_words[0])}

ENUM(enum_sex, "sex", {"M", {"男"}}, {"F", {"女"}});
ENUM(enum_member_kind, "kind", {"full", {"正式党员", "正式"}},
     {"probationary", {"预备党员", "预备"}});
ENUM(enum_dues_category, "dues category", {"salaried", {"在职"}}, {"annual-salary", {"年薪制"}},
     {"self-employed", {"个体", "个体经营"}}, {"retired", {"离退休", "退休"}}, {"farmer", {"农民"}},
     {"student", {"学生"}}, {"unemployed", {"失业", "下岗失业"}},
     {"hardship", {"困难", "生活困难"}});
ENUM(enum_outflow_reason, "reason", {"work", {"务工"}}, {"business", {"经商"}},
     {"residence", {"居住"}}, {"study", {"学习"}}, {"other", {"其他"}});
ENUM(enum_revoke_reason, "reason", {"lost", {"遗失"}}, {"returned", {"返回", "已返回"}},
     {"transferred", {"转出", "组织关系转出"}}, {"lapsed", {"脱党"}}, {"void", {"作废"}});
ENUM(enum_meeting_kind, "kind", {"branch-meeting", {"支部党员大会", "党员大会"}},
     {"committee", {"支委会"}}, {"group", {"党小组会"}}, {"lecture", {"党课"}},
     {"theme-day", {"主题党日"}}, {"life-meeting", {"组织生活会"}},
     {"appraisal", {"民主评议", "民主评议党员"}});
ENUM(enum_feedback_kind, "kind", {"situation", {"情况", "重要情况"}},
     {"help", {"帮扶", "关怀帮扶"}});
ENUM(enum_probation_result, "result", {"full", {"转正", "按期转正"}},
     {"extend", {"延长预备期", "延长"}}, {"cancel", {"取消预备党员资格", "取消资格"}});
ENUM(enum_lapse_outcome, "outcome", {"cleared", {"有正当理由", "撤案"}},
     {"correction", {"限期改正"}}, {"suspension", {"停止党籍"}},
     {"removal", {"除名", "自行脱党除名"}});
ENUM(enum_location, "state", {"home", {"未外出"}}, {"away", {"已外出", "未报到"}},
     {"checked-in", {"已报到"}}, {"departed", {"已离开"}}, {"returned", {"已返回"}},
     {"transferred", {"已转出"}}, {"removed", {"已除名"}});
ENUM(enum_request_kind, "kind", {"transfer", {"组织关系转接", "转接"}}, {"org-life", {"组织生活"}},
     {"dues", {"党费"}}, {"employment", {"就业"}}, {"housing", {"住房"}},
     {"schooling", {"子女入学", "入学"}}, {"rights", {"权益维护", "维权"}}, {"other", {"其他"}});
ENUM(enum_notice_kind, "kind", {"election", {"换届选举", "选举"}},
     {"appraisal", {"民主评议", "民主评议党员"}}, {"other", {"其他"}});
ENUM(enum_visit_kind, "kind", {"holiday", {"节日慰问", "节日"}}, {"hardship", {"困难帮扶", "困难"}},
     {"illness", {"生病慰问", "生病"}}, {"family", {"走访家属", "家属"}}, {"other", {"其他"}});
/* Shown only (no option takes them): a request's (or a conflict's, a receipt's, a certificate's)
 * status, a trail's steps, the kinds of `due` (CLI.md; "transfer" is the request kind's word), a
 * peer's connection. */
ENUM(enum_request_status, "status", {"open", {"未办结"}}, {"closed", {"已办结"}},
     {"resolved", {"已处理"}}, {"paid", {"已交"}}, {"refunded", {"已退还"}}, {"active", {"有效"}},
     {"expired", {"已过期"}}, {"revoked", {"已收回"}});
ENUM(enum_reminder_kind, "kind", {"not-checked-in", {"未报到"}}, {"no-org-life", {"未过组织生活"}},
     {"no-org-life-warning", {"未过组织生活（预警）"}}, {"no-dues", {"未交党费"}},
     {"no-dues-warning", {"未交党费（预警）"}}, {"no-contact", {"失去联系"}},
     {"no-contact-warning", {"失去联系（预警）"}}, {"report-overdue", {"思想汇报逾期"}},
     {"org-life-day", {"党员活动日"}}, {"cert-review", {"活动证年审"}},
     {"cert-expired", {"活动证过期"}}, {"temp-branch", {"建立临时党支部"}},
     {"probation", {"预备期满"}}, {"transfer-unacknowledged", {"转接未回执"}},
     {"holiday-visit", {"节日走访慰问"}}, {"request-overdue", {"事项逾期"}},
     {"request-due-soon", {"事项将到期"}}, {"notice-unanswered", {"通知未答复"}});
ENUM(enum_peer_state, "state", {"down", {"断开"}}, {"connecting", {"连接中"}},
     {"handshaking", {"握手中"}}, {"catching up", {"追赶中"}}, {"live", {"在线"}},
     {"refused", {"被拒绝"}});
ENUM(enum_request_action, "action", {"open", {"受理"}}, {"forward", {"转办"}},
     {"handover", {"移交"}}, {"answer", {"答复"}}, {"close", {"办结"}});

static const struct {
	const char *command, *option;
	const struct ld_enum *e;
} options[] = {
    {"member add", "sex", &enum_sex},
    {"member add", "kind", &enum_member_kind},
    {"member add", "dues-category", &enum_dues_category},
    {"member update", "kind", &enum_member_kind},
    {"member update", "dues-category", &enum_dues_category},
    {"member list", "state", &enum_location},
    {"outflow register", "reason", &enum_outflow_reason},
    {"cert revoke", "reason", &enum_revoke_reason},
    {"meeting add", "kind", &enum_meeting_kind},
    {"feedback", "kind", &enum_feedback_kind},
    {"probation decide", "result", &enum_probation_result},
    {"lapse decide", "outcome", &enum_lapse_outcome},
    {"dues calc", "category", &enum_dues_category},
    {"request open", "kind", &enum_request_kind},
    {"notice send", "kind", &enum_notice_kind},
    {"visit add", "kind", &enum_visit_kind},
};

const char *enum_canonical(const struct ld_enum *e, const char *word)
{
	if (!word)
		return NULL;
	for (size_t i = 0; i < e->n; i++) {
		const struct ld_enum_word *w = &e->words[i];
		if (strcmp(word, w->word) == 0)
			return w->word;
		for (const char *const *zh = w->zh; *zh; zh++)
			if (strcmp(word, *zh) == 0)
				return w->word;
	}
	return NULL;
}

const char *enum_zh(const struct ld_enum *e, const char *word)
{
	for (size_t i = 0; word && i < e->n; i++)
		if (strcmp(word, e->words[i].word) == 0)
			return e->words[i].zh[0];
	return NULL;
}

const char *enum_display(const struct ld_enum *e, const char *word)
{
	const char *zh = word && i18n_chinese() ? enum_zh(e, word) : NULL;
	return zh ? zh : word;
}

/* True if A and B name one command: "member add" and "member.add" are the same. */
static int same_command(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '.' ? ' ' : *a, y = *b == '.' ? ' ' : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

const struct ld_enum *enum_for_option(const char *command, const char *option)
{
	if (!command || !option)
		return NULL;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(options[i].option, option) == 0 &&
		    same_command(options[i].command, command))
			return options[i].e;
	return NULL;
}

const char *enum_normalize(const char *command, const char *option, const char *word)
{
	const struct ld_enum *e = enum_for_option(command, option);
	const char *canonical = e ? enum_canonical(e, word) : NULL;
	return canonical ? canonical : word;
}

char *enum_words(const struct ld_enum *e, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < e->n && used < len; i++) {
		const struct ld_enum_word *w = &e->words[i];
		used += (size_t)snprintf(buf + used, len - used, "%s%s (", i ? ", " : "", w->word);
		for (const char *const *zh = w->zh; *zh && used < len; zh++)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 zh == w->zh ? "" : "/", *zh);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, ")");
	}
	return buf;
}

int enum_option_at(size_t i, const char **command, const char **option, const struct ld_enum **e)
{
	if (i >= sizeof(options) / sizeof(options[0]))
		return 0;
	*command = options[i].command;
	*option = options[i].option;
	*e = options[i].e;
	return 1;
}
