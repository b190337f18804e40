/* liudong: the command line of a liudongd site. Thin main: everything lives in cli.c. */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
