/*
 * cmd_local.c: commands that need no daemon (`dues calc`), and the printers of commands whose
 * human output is not a table (`pubkey` prints bare PEM, so it can be piped to openssl;
 * `conflicts` a record each).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dues.h"
#include "money.h"
#include "output.h"
#include "qr.h"
#include "status.h"
#include "term.h"

int local_dues_calc(const struct cli *cli, const Ld__Request *req)
{
	const char *category_text = cli_param(req, "category");
	const char *income_text = cli_param(req, "income");
	const char *dues_text = cli_param(req, "dues");
	enum dues_category category;
	if (dues_category_parse(category_text, &category) != 0)
		return cli_fail(
		    LD_EXIT_INVALID,
		    "--category '%s' is not one of salaried, "
		    "annual-salary, self-employed, retired, farmer, student, unemployed, "
		    "hardship",
		    category_text);
	int64_t income = -1, set = -1, monthly;
	if (income_text && money_too_large(income_text))
		return cli_fail(
		    LD_EXIT_INVALID,
		    "--income '%s' is more than 1,000,000,000,000 yuan: check the amount",
		    income_text);
	if (income_text && money_parse(income_text, &income) != 0)
		return cli_fail(LD_EXIT_INVALID,
				"--income '%s' is not an amount in yuan with at most two decimals",
				income_text);
	if (dues_text && money_parse(dues_text, &set) != 0)
		return cli_fail(LD_EXIT_INVALID,
				"--dues '%s' is not an amount in yuan with at most "
				"two decimals",
				dues_text);
	const char *why;
	if (dues_monthly_fen(category, income, set, &monthly, &why) != 0)
		return cli_fail(LD_EXIT_INVALID, "%.400s", why);
	json_t *o = json_pack("{s:s, s:I}", "category", dues_category_name(category), "monthly_fen",
			      (json_int_t)monthly);
	if (income >= 0)
		json_object_set_new(o, "income_fen", json_integer(income));
	output_print(stdout, o, cli->json);
	json_decref(o);
	return 0;
}

int print_pubkey(json_t *result, const Ld__Request *req)
{
	fputs(json_string_value(json_object_get(result, "pem")), stdout);
	return 0;
}

/*
 * `conflicts`: a record per conflict. Its dozen fields, a double payment's id of two receipt
 * numbers and the member's identity number would not fit a table's columns without splitting.
 */
int print_conflicts(json_t *result, const Ld__Request *req)
{
	FILE *out = term_page_begin();
	output_records(out, json_object_get(result, "conflicts"));
	term_page_end(out);
	return 0;
}

int print_token(json_t *result, const Ld__Request *req)
{
	puts(json_string_value(json_object_get(result, "token")));
	return 0;
}

int print_qr(json_t *result, const Ld__Request *req)
{
	const char *token = json_string_value(json_object_get(result, "token"));
	const char *png = cli_param(req, "png");
	int rc = png ? qr_write_png(png, token) : qr_print(stdout, token);
	if (rc)
		return cli_fail(rc == -ENOMEM || rc == -EIO ? LD_EXIT_INTERNAL : LD_EXIT_INVALID,
				"cannot write the QR code%s%s: %s", png ? " to " : "",
				png ? png : "", lderr_str(rc));
	if (png)
		printf("%s\n", png);
	return 0;
}

int check_cert_verify(json_t *result)
{
	if (json_is_true(json_object_get(result, "valid")))
		return 0;
	return cli_fail(LD_EXIT_REFUSED, "certificate not valid: %.400s",
			json_string_value(json_object_get(result, "reason")));
}

int check_verify(json_t *result)
{
	if (json_is_true(json_object_get(result, "ok")))
		return 0;
	json_t *bad = json_object_get(result, "first_bad");
	const char *problem = json_string_value(json_object_get(result, "problem"));
	if (json_is_integer(bad))
		return cli_fail(LD_EXIT_REFUSED,
				"the log is damaged at seq %lld: %s; restore the data "
				"directory from a backup",
				(long long)json_integer_value(bad), problem ? problem : "?");
	return cli_fail(LD_EXIT_REFUSED,
			"the store is damaged: %s; restore the data directory from "
			"a backup",
			problem ? problem : "?");
}
