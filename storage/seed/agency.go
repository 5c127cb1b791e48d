package seed

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// AgencyPassword is the demo agencies' users' password.
const AgencyPassword = "demo-agency-2024"

// demoAgencies adds the district's gas company and power company (多方协作) and
// returns one user of each to create: gas-company and power-company.
func demoAgencies(ctx context.Context, svc *storage.Services, ap inspect.Principal, district inspect.Unit) ([]inspect.User, error) {
	var out []inspect.User
	for i, a := range []struct{ name, field, username, display string }{
		{"武侯区燃气公司", "gas", "gas-company", "燃气公司 安检员 周强"},
		{"国网成都武侯供电中心", "electrical", "power-company", "供电公司 用电检查员 林芳"},
	} {
		ag, err := svc.Agencies.CreateAgency(ctx, ap, inspect.Agency{Name: a.name, Field: a.field, UnitID: district.ID})
		if err != nil {
			return nil, fmt.Errorf("agency %s: %w", a.name, err)
		}
		out = append(out, inspect.User{Username: a.username, Phone: fmt.Sprintf("1360000000%d", i+1), DisplayName: a.display,
			Role: inspect.RoleAgency, AgencyID: ag.ID})
	}
	return out, nil
}

// fieldHazards makes, for the gas and the electrical field, one open hazard
// under a rule of the field: an inspection of the first of sites whose checklist
// has such a rule, every item passed but that one, submitted. cast returns the
// site's officer and inspector. The scenarios' hazards are of other rules, and
// the demo agencies should have something to see.
func (s *demoSeeder) fieldHazards(ctx context.Context, sites []inspect.Site, cast func(inspect.Site) (officer, inspector inspect.Principal, err error)) error {
	used := map[int64]bool{}
	for _, name := range []string{"gas", "electrical"} {
		field, ok := s.svc.Agencies.Field(name)
		if !ok {
			return fmt.Errorf("no %s field in the rules", name)
		}
		for _, site := range sites {
			if used[site.ID] {
				continue
			}
			officer, inspector, err := cast(site)
			if err != nil {
				return err
			}
			cl, err := s.svc.Sites.SiteChecklist(ctx, officer, site.ID)
			if err != nil {
				return err
			}
			failed := ""
			for _, it := range cl.Items {
				if failed == "" && slices.Contains(field.Rules, it.Code) {
					failed = it.Code
				}
			}
			if failed == "" {
				continue
			}
			used[site.ID] = true
			if err := s.inspectFailing(ctx, site, officer, inspector, failed); err != nil {
				return fmt.Errorf("%s hazard at site %d: %w", name, site.ID, err)
			}
			break
		}
	}
	return nil
}

// inspectFailing runs an inspection of site that finds a hazard under rule code
// and passes every other item.
func (s *demoSeeder) inspectFailing(ctx context.Context, site inspect.Site, officer, inspector inspect.Principal, code string) error {
	insp, err := s.svc.Inspections.AssignInspection(ctx, officer, site.ID, inspector.User.ID, time.Now().Add(24*time.Hour))
	if err != nil {
		return err
	}
	s.sum.Inspections++
	d, err := s.svc.Inspections.StartInspection(ctx, inspector, insp.ID)
	if err != nil {
		return err
	}
	for _, it := range d.Items {
		ans := inspect.Item{Code: it.Code, Answer: inspect.AnswerPass}
		if it.Code == code {
			ans = inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "现场发现问题，已拍照取证"}
			s.sum.Hazards++
		}
		if it.NeedsPhoto || it.Code == code {
			if _, err := s.photo(ctx, inspector, inspect.PhotoTarget{InspectionID: insp.ID, ItemCode: it.Code}); err != nil {
				return err
			}
		}
		if _, err := s.svc.Inspections.AnswerItem(ctx, inspector, insp.ID, ans); err != nil {
			return fmt.Errorf("answer %s: %w", it.Code, err)
		}
	}
	_, err = s.svc.Inspections.SubmitInspection(ctx, inspector, insp.ID)
	return err
}

// demoAgencyAction has the gas company confirm a supply cut-off on the first
// open gas hazard shared with it, so that the demo shows an agency in a
// hazard's chain.
func demoAgencyAction(ctx context.Context, svc *storage.Services, gasUser inspect.User) error {
	p, err := svc.Directory.PrincipalOf(ctx, gasUser.ID)
	if err != nil {
		return err
	}
	shared, err := svc.Hazards.Hazards(ctx, p, inspect.HazardFilter{States: inspect.OpenStates()})
	if err != nil || len(shared) == 0 {
		return err
	}
	_, err = svc.Agencies.AgencyAction(ctx, p, shared[0].ID, "supply_cut_off", "已关闭表前阀，待加装切断阀后恢复供气")
	return err
}
