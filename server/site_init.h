/*
 * site_init.h: `liudongd init DIR --name NAME --code CODE [--listen HOST:PORT] [--socket PATH]`:
 * a new site in DIR: liudongd.conf, site.key (0600), site.crt, data/. Prints the site id.
 */
#pragma once

/*
 * ARGV[0] is "init". Returns the process exit code: 0, 2 usage, 3 invalid (nothing written), 5 a
 * site or something else is in the way (nothing written), 1 failure (what was made is removed).
 */
int site_init_main(int argc, char **argv);
