/* status.c: see status.h. */
#include "status.h"
#include "lderr.h"

#include <errno.h>

enum ld_exit status_from_error(int err)
{
	switch (err) {
	case 0:
		return LD_EXIT_OK;
	case LD_EUSAGE:
		return LD_EXIT_USAGE;
	case LD_EINPUT:
		return LD_EXIT_INVALID;
	case LD_ENOTFOUND:
		return LD_EXIT_NOT_FOUND;
	case LD_EEXIST:
	case LD_EFORBIDDEN:
	case LD_EALREADY:
	case LD_ECORRUPT:
	case LD_EREVOKED:
	case LD_EEXPIRED:
		return LD_EXIT_REFUSED;
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case LD_ESTOPPING:
		return LD_EXIT_UNAVAILABLE;
	default:
		return LD_EXIT_INTERNAL;
	}
}
