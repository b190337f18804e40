/* sites.c: see sites.h. Peers are few (tens), so a scan of the peers table is the index. */
#include "sites.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "date.h"
#include "i18n.h"
#include "siteid.h"

int site_lookup(const struct request *rq, struct store_txn *txn, const uint8_t *id,
		char name[LD_NAME_MAX], Ld__PeerRecord **rec)
{
	if (rec)
		*rec = NULL;
	if (memcmp(id, rq->daemon->site_id, LD_SITE_ID_BYTES) == 0) {
		snprintf(name, LD_NAME_MAX, "%s", rq->daemon->config.name);
		return 0;
	}
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_PEERS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__PeerRecord *p = ld__peer_record__unpack(NULL, v.len, v.data);
		if (p && p->site_id.len == LD_SITE_ID_BYTES &&
		    memcmp(p->site_id.data, id, LD_SITE_ID_BYTES) == 0) {
			snprintf(name, LD_NAME_MAX, "%s", p->name);
			if (rec)
				*rec = p;
			else
				ld__peer_record__free_unpacked(p, NULL);
			break;
		}
		if (p)
			ld__peer_record__free_unpacked(p, NULL);
	}
	store_cursor_close(c);
	return rc;
}

json_t *site_name_json(const struct request *rq, struct store_txn *txn, const uint8_t *id,
		       size_t id_len)
{
	char name[LD_NAME_MAX];
	if (id_len == LD_SITE_ID_BYTES && site_lookup(rq, txn, id, name, NULL) == 0)
		return json_string(name);
	char text[LD_SITE_ID_TEXT] = "?";
	if (id_len == LD_SITE_ID_BYTES)
		siteid_format(id, text);
	return json_string(text);
}

/* The count of digits at *P, P moved past them. */
static size_t digits(const char **p)
{
	size_t n = 0;
	while (**p >= '0' && **p <= '9')
		(*p)++, n++;
	return n;
}

int serial_check(struct request *rq, const char *number, char letter, const char *what)
{
	const char *p = number;
	bool ok = digits(&p) > 0 && *p++ == '-' && digits(&p) == 4 && *p++ == '-' &&
		  (!letter || *p++ == letter) && digits(&p) >= 6 && !*p;
	if (ok)
		return 0;
	return request_fail(rq, LD_EINPUT, "'%.40s' is not a %s number (like %s-2026-%.1s000001)",
			    number, _(what), rq->daemon->config.code, letter ? &letter : "");
}

int site_serial(const struct request *rq, struct store_txn *txn, const char *name, char letter,
		int32_t date, char *out, size_t len)
{
	int year;
	date_to_ymd(date, &year, NULL, NULL);
	char key[48];
	snprintf(key, sizeof(key), "%s/%04d", name, year);
	uint64_t serial;
	int rc = store_next_serial(txn, key, &serial);
	if (rc == 0)
		snprintf(out, len, "%s-%04d-%.1s%06llu", rq->daemon->config.code, year,
			 letter ? &letter : "", (unsigned long long)serial);
	return rc;
}
