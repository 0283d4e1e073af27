// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the worker's decoder of the policy sent by the monitor, on arbitrary bytes.
 * Whatever it accepts must evaluate without fault and encode back to the very same bytes: the
 * format has one spelling per policy, so anything looser in the decoder shows up here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const gid_t groups[] = {0, 10, 1000, 65534};
	struct policy *p;
	void *buf;
	size_t len;
	int r;

	r = policy_decode(data, size, &p);
	if (r == POLICY_E_WIRE || r == -ENOMEM)
		return 0;
	if (r != 0)
		abort();
	for (uid_t uid = 0; uid < 12; uid++) {
		static const int64_t at[] = {POLICY_TIME_MIN, 0, 1798761600, POLICY_TIME_MAX};
		struct peer_cred c = {
			.uid = uid / 3 * 1000, .gid = uid, .ngroups = 4, .groups = (gid_t *)groups};
		struct policy_verdict v = policy_eval(p, &c, at[uid % 4]);
		const struct policy_attrs *a = policy_rule_attrs(p, v.rule);
		const char *file;
		unsigned line;
		if (v.rule >= 0 && policy_rule_origin(p, v.rule, &file, &line) != 0)
			abort();
		/* What the worker sends and logs of a rule is what the parser lets through. */
		if (a && ((a->message && (v.allow || strlen(a->message) > POLICY_MESSAGE_MAX)) ||
			  (a->name && strlen(a->name) > POLICY_NAME_MAX) || a->from >= a->until))
			abort();
		(void)policy_next_change(p, at[uid % 4]);
	}
	if (policy_encode(p, &buf, &len) == 0) {
		if (len != size || memcmp(buf, data, size) != 0)
			abort();
		free(buf);
	}
	policy_free(p);
	return 0;
}
