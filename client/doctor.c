/*
 * doctor.c: how `liudong doctor` prints the daemon's findings (cmd_doctor.c makes them): one line
 * each, the status first, then what was found and what to do; and its exit code, 5 when a finding
 * failed. With --json the answer is printed as it came ({ok, failed, warned, findings}).
 */
#include <stdio.h>

#include "cli.h"
#include "i18n.h"
#include "status.h"

int print_doctor(json_t *result, const Ld__Request *req)
{
	(void)req;
	json_t *findings = json_object_get(result, "findings");
	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f)
	{
		const char *status = json_string_value(json_object_get(f, "status"));
		const char *message = json_string_value(json_object_get(f, "message"));
		const char *advice = json_string_value(json_object_get(f, "advice"));
		const char *label = _("ok");
		if (status && status[0] == 'f')
			label = _("FAIL");
		else if (status && status[0] == 'w')
			label = _("WARN");
		if (advice && status && status[0] != 'o')
			printf(_("%-4s  %s; to do: %s\n"), label, message ? message : "", advice);
		else
			printf("%-4s  %s\n", label, message ? message : "");
	}
	return 0;
}

int check_doctor(json_t *result)
{
	json_int_t failed = json_integer_value(json_object_get(result, "failed"));
	if (json_is_true(json_object_get(result, "ok")) && failed == 0)
		return 0;
	return cli_fail(LD_EXIT_REFUSED, "checks failed: %lld; see the findings marked fail",
			(long long)failed);
}
