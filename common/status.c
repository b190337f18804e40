/* status.c: see status.h. */
#include "status.h"

#include "lderr.h"

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
	case LD_ESIGNATURE:
	case LD_EREVOKED:
	case LD_EEXPIRED:
	case LD_ELOCKED:
		return LD_EXIT_REFUSED;
	case LD_ESTOPPING:
	case LD_EUNAVAILABLE:
		return LD_EXIT_UNAVAILABLE;
	default: /* LD_ECORRUPT, LD_ENOSPACE, the store's own, and any bare errno */
		return LD_EXIT_INTERNAL;
	}
}
