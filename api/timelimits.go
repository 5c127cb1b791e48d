package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// Time limits that bite (inspect/timelimit.go): the party a hazard is handed to
// signs for it (签收), and an admin applies a changed policy to the open hazards'
// time limits, explicitly and on the record.

// signers are the roles that sign for a hazard: the merchant for the notice, a
// safety officer for the unit it was escalated to.
var signers = []inspect.Role{inspect.RoleMerchant, inspect.RoleSafetyOfficer}

func (h *v1) timeLimitRoutes(p string) []Route {
	return []Route{
		route("POST", p+"/hazards/:id/sign", signers, "Sign for (签收) a hazard handed to the caller within the policy's sign_within: the site's merchant for the rectification notice (signing the notice's acknowledgement counts too), a safety officer of the unit it was escalated to (or above) for that unit. Unsigned in time, the hazard escalates one level. 409 when it waits for no signature", h.signHazard).bodyOptional(),
		route("POST", p+"/policy/apply", admins, "Apply the district's time-limit policy as it is now to its open hazards: each time limit the policy set (an escalation's deadline, a signature, a re-inspection) is computed again from when it started, and each hazard moved gets a policy_applied event naming the admin with the old and new limits. Changing the policy alone moves nothing. Returns the hazards moved", h.applyPolicy),
	}
}

func (h *v1) signHazard(ctx context.Context, p inspect.Principal, in ByID) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.SignHazard(ctx, p, in.ID)
}

func (h *v1) applyPolicy(ctx context.Context, p inspect.Principal, q DistrictQuery) (List[inspect.DeadlineMove], error) {
	moves, err := h.cfg.Hazards.ApplyPolicy(ctx, p, q.DistrictID)
	return List[inspect.DeadlineMove]{Items: moves}, err
}
