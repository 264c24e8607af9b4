#include "record/ev_result_json.h"

void ev_json_verdict(struct ev_json *j, enum ev_verdict v, const char *reason)
{
	ev_json_str(j, "verdict", ev_verdict_name(v));
	ev_json_str(j, "reason", reason && reason[0] ? reason : NULL);
}

void ev_json_tcp_source(struct ev_json *j, enum ev_tcp_source src, uint64_t other_tcp_bytes)
{
	/* On interfaces everything is in tcp_bytes: the rest is not known. */
	if (src == EV_TCP_SRC_NFTABLES)
		ev_json_u64(j, "other_tcp_bytes", other_tcp_bytes);
	else
		ev_json_null(j, "other_tcp_bytes");
	ev_json_str(j, "tcp_source", src == EV_TCP_SRC_NONE ? NULL : ev_tcp_source_name(src));
}

void ev_json_nics(struct ev_json *j, const struct ev_node_result *r)
{
	if (!r->nics_total)
		return;
	ev_json_u64(j, "nics_busy", r->nics_busy);
	ev_json_u64(j, "nics_total", r->nics_total);
	ev_json_u64(j, "nic_min_bytes", r->nic_min_bytes);
	ev_json_u64(j, "nic_max_bytes", r->nic_max_bytes);
	ev_json_double(j, "nic_balance", ev_result_nic_balance(r));
}

double ev_result_nic_balance(const struct ev_node_result *r)
{
	return r->nic_max_bytes ? (double)r->nic_min_bytes / (double)r->nic_max_bytes : 0.0;
}

void ev_json_causes(struct ev_json *j, const struct ev_causes *cs, bool explain)
{
	ev_json_arr_begin(j, "causes");
	for (size_t i = 0; cs && i < cs->n && i < EV_CAUSES_MAX; i++) {
		const struct ev_cause *c = &cs->c[i];

		ev_json_obj_begin(j, NULL);
		ev_json_str(j, "name", ev_cause_name(c->name));
		ev_json_str(j, "certainty", ev_cause_certainty_name(c->certainty));
		ev_json_str(j, "detail", c->detail[0] ? c->detail : NULL);
		if (explain) {
			ev_json_str(j, "evidence", ev_cause_evidence(c->name));
			ev_json_str(j, "fix", ev_cause_fix(c->name));
		}
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
}

void ev_json_containers(struct ev_json *j, const struct ev_containers *cs)
{
	ev_json_arr_begin(j, "containers");
	for (uint32_t i = 0; cs && i < cs->n && i < EV_CONTAINERS_IMAGES; i++) {
		const struct ev_containers_image *im = &cs->image[i];

		ev_json_obj_begin(j, NULL);
		ev_json_str(j, "image", im->label);
		ev_json_arr_begin(j, "steps");
		for (uint32_t s = 0; s < im->n_steps && s < EV_CONTAINERS_STEPS; s++)
			ev_json_str(j, NULL, im->step[s]);
		ev_json_arr_end(j);
		ev_json_u64(j, "steps_unlisted", im->more_steps);
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
	ev_json_u64(j, "containers_unlisted", cs ? cs->more : 0);
}
