/* commands.c: the table of control commands (see commands.h). */
#include "commands.h"

#include <string.h>

static const struct command commands[] = {
	{ "site", false, cmd_site, NULL },
	{ "pubkey", false, cmd_pubkey, NULL },
	{ "peer.add", true, cmd_peer_add, NULL },
	{ "peer.remove", true, cmd_peer_remove, NULL },
	{ "peer.list", false, cmd_peer_list, NULL },
	{ "audit", false, cmd_audit, NULL },
	{ "verify", true, cmd_verify, NULL },
	{ "branch.add", true, cmd_branch_add, NULL },
	{ "branch.list", false, cmd_branch_list, NULL },
	{ "member.add", true, cmd_member_add, NULL },
	{ "member.show", false, cmd_member_show, "reveal" },
	{ "member.list", false, cmd_member_list, NULL },
	{ "member.find", false, cmd_member_find, NULL },
	{ "history", false, cmd_history, NULL },
	{ "outflow.register", true, cmd_outflow_register, NULL },
};

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}
