/* status.c: see status.h. */
#include "status.h"

#include <errno.h>

enum ld_exit status_from_error(int err)
{
	switch (err) {
	case 0:
		return LD_EXIT_OK;
	case -EDOM:
		return LD_EXIT_USAGE;
	case -EINVAL:
		return LD_EXIT_INVALID;
	case -ENOENT:
		return LD_EXIT_NOT_FOUND;
	case -EEXIST:
	case -EPERM:
	case -EALREADY:
	case -EBADMSG:
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return LD_EXIT_REFUSED;
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -ESHUTDOWN:
		return LD_EXIT_UNAVAILABLE;
	default:
		return LD_EXIT_INTERNAL;
	}
}
