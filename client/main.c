/* liudong: the command line of a liudongd site. Thin main: everything lives in cli.c. */
#include "cli.h"
#include "i18n.h"

int main(int argc, char **argv)
{
	i18n_init_program(); /* the user's locale: labels and messages in his language */
	return cli_main(argc, argv);
}
