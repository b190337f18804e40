/* lderr.c: see lderr.h. */
#include "lderr.h"

#include <errno.h>
#include <string.h>

bool lderr_is_ours(int err)
{
	return err < LD_EBASE && err > LD_ELAST;
}

bool lderr_is_resource(int err)
{
	switch (err) {
	case LD_EMAPFULL:
	case LD_ETXNFULL:
	case LD_ERETRY:
	case LD_ENOSPACE:
	case -ENOMEM:
	case -EIO:
		return true;
	default:
		return false;
	}
}

int lderr_from_errno(int errnum)
{
	switch (errnum) {
	case 0:
		return 0;
	case ENOENT:
		return LD_ENOTFOUND;
	case EEXIST:
		return LD_EEXIST;
	case ENOSPC:
	case EDQUOT:
		return LD_ENOSPACE;
	default:
		return errnum > 0 ? -errnum : -EIO;
	}
}

const char *lderr_str(int err)
{
	static const char *const text[] = {
	    [-(LD_EUSAGE - LD_EBASE)] = "usage error",
	    [-(LD_EINPUT - LD_EBASE)] = "invalid input",
	    [-(LD_ENOTFOUND - LD_EBASE)] = "not found",
	    [-(LD_EEXIST - LD_EBASE)] = "already exists",
	    [-(LD_EFORBIDDEN - LD_EBASE)] = "not allowed",
	    [-(LD_EALREADY - LD_EBASE)] = "already done",
	    [-(LD_ESIGNATURE - LD_EBASE)] = "signature does not verify",
	    [-(LD_EREVOKED - LD_EBASE)] = "revoked",
	    [-(LD_EEXPIRED - LD_EBASE)] = "expired",
	    [-(LD_ELOCKED - LD_EBASE)] = "the data directory is in use by another daemon",
	    [-(LD_ECORRUPT - LD_EBASE)] = "a stored record or message is damaged",
	    [-(LD_ENOSPACE - LD_EBASE)] = "no space left on the data disk",
	    [-(LD_EMAPFULL - LD_EBASE)] = "the store's map is full",
	    [-(LD_ETXNFULL - LD_EBASE)] = "the transaction is too large",
	    [-(LD_ERETRY - LD_EBASE)] = "the store is busy; try again",
	    [-(LD_ESTOPPING - LD_EBASE)] = "the daemon is stopping",
	    [-(LD_EUNAVAILABLE - LD_EBASE)] = "the daemon cannot be reached",
	};
	if (err == 0)
		return "success";
	if (lderr_is_ours(err))
		return text[-(err - LD_EBASE)];
	return strerror(-err);
}
