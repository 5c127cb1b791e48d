package inspect

import (
	"fmt"
	"strings"
	"time"
)

// Supervision is the listed supervision (挂牌督办) of a major hazard: the district
// lists it, names who must get it rectified and by when, and supervises until it
// is closed. It is created when a major hazard reaches the district.
type Supervision struct {
	HazardID int64 `json:"hazard_id"`
	// SupervisingUnitID is the district that supervises the rectification.
	SupervisingUnitID int64 `json:"supervising_unit_id"`
	// SupervisingUnitName is the supervising district's name, as read back (a
	// merchant, who cannot list units, sees who supervises).
	SupervisingUnitName string `json:"supervising_unit_name,omitempty"`
	// ResponsibleUserID is the person responsible for the rectification: the
	// site's merchant; 0 when the site has none linked.
	ResponsibleUserID int64     `json:"responsible_user_id,omitempty"`
	Deadline          time.Time `json:"deadline"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// NeedsSupervision reports whether h, after an escalation, must be under listed
// supervision: a major hazard for which the district is responsible.
func NeedsSupervision(h Hazard) bool {
	return h.Severity == SeverityMajor && h.Level == LevelDistrict && IsOpen(h.State)
}

// ClockRuns reports whether the rectification clock of a hazard in state s runs,
// that is whether its deadline can pass (ActionDeadlinePassed is legal): the
// merchant has been told and has not yet submitted proof.
func ClockRuns(s HazardState) bool {
	_, err := Transition(s, ActionDeadlinePassed)
	return err == nil
}

// RemindMerchant reports whether the merchants of the site get the reminders
// before a deadline of a hazard in state s: only while the clock runs (a merchant
// who has submitted proof has nothing left to do).
func RemindMerchant(s HazardState) bool { return ClockRuns(s) }

// RemindInspector reports whether the responsible inspector gets the reminders
// before a deadline of a hazard in state s: while the clock runs, and while proof
// waits for the re-inspection.
func RemindInspector(s HazardState) bool {
	return ClockRuns(s) || s == StateRectificationSubmitted
}

// DeadlineDueKey is the dedup key of the re-inspection task sent when deadline of
// hazard hazardID passes.
func DeadlineDueKey(hazardID int64, deadline time.Time) string {
	return fmt.Sprintf("hazard:%d:deadline:%s:due", hazardID, deadline.UTC().Format(time.RFC3339))
}

// HazardEventKey is the dedup key of a notification about event seq of hazard
// hazardID (the notice to the merchant, an escalation, a determination): one
// event, one notification per user and channel.
func HazardEventKey(hazardID, seq int64) string {
	return fmt.Sprintf("hazard:%d:event:%d", hazardID, seq)
}

// HazardMessage is the text of a notification about hazard h at site siteName.
type HazardMessage struct {
	Kind   NotificationKind
	TextZH string
	TextEN string
}

// shanghai is the time zone of the dates in messages: the users are in China.
// time.FixedZone keeps the domain free of the tz database.
var shanghai = time.FixedZone("CST", 8*3600)

func clock(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04") }

// ReminderMessage reminds of h's deadline, before ahead of it.
func ReminderMessage(h Hazard, siteName string, before Duration) HazardMessage {
	return HazardMessage{
		Kind:   KindDeadlineReminder,
		TextZH: fmt.Sprintf("【隐患整改提醒】%s 的隐患（%s，编号 %d）整改期限为 %s，还剩 %s。", siteName, h.RuleCode, h.ID, clock(h.Deadline), before),
		TextEN: fmt.Sprintf("Reminder: hazard %d (%s) at %s must be rectified by %s, %s from now.", h.ID, h.RuleCode, siteName, clock(h.Deadline), before),
	}
}

// NotifiedMessage tells the merchant of hazard h and its deadline, with what the
// inspector found in their words: a rule's code means nothing to a shop owner.
func NotifiedMessage(h Hazard, siteName string) HazardMessage {
	zh, en := "", ""
	if found := truncate(strings.TrimSpace(h.Note), 100); found != "" {
		zh, en = "："+found, ": "+found
	}
	return HazardMessage{
		Kind:   KindHazardNotified,
		TextZH: fmt.Sprintf("【隐患整改通知】%s 发现隐患（编号 %d）%s。请于 %s 前整改并上传整改照片。", siteName, h.ID, zh, clock(h.Deadline)),
		TextEN: fmt.Sprintf("Hazard %d was found at %s%s. Please rectify it by %s and upload photos of the fix.", h.ID, siteName, en, clock(h.Deadline)),
	}
}

// ReinspectionMessage is the inspector's re-inspection task after h's deadline
// passed.
func ReinspectionMessage(h Hazard, siteName string, deadline time.Time) HazardMessage {
	return HazardMessage{
		Kind:   KindReinspectionDue,
		TextZH: fmt.Sprintf("【复查任务】%s 的隐患（%s，编号 %d）整改期限 %s 已到，请前往复查。", siteName, h.RuleCode, h.ID, clock(deadline)),
		TextEN: fmt.Sprintf("Re-inspection due: the deadline %s of hazard %d (%s) at %s has passed; please re-inspect.", clock(deadline), h.ID, h.RuleCode, siteName),
	}
}

// EscalatedMessage tells the safety officers of the unit h was escalated to.
func EscalatedMessage(h Hazard, siteName string) HazardMessage {
	zh, en := "", ""
	if h.Severity == SeverityMajor && h.Level == LevelDistrict {
		zh, en = "，已挂牌督办", ", under listed supervision"
	}
	return HazardMessage{
		Kind:   KindEscalated,
		TextZH: fmt.Sprintf("【隐患升级】%s 的隐患（%s，编号 %d）已升级至%s层级处理%s，新整改期限 %s。", siteName, h.RuleCode, h.ID, levelZH[h.Level], zh, clock(h.Deadline)),
		TextEN: fmt.Sprintf("Hazard %d (%s) at %s was escalated to your %s%s; new deadline %s.", h.ID, h.RuleCode, siteName, h.Level, en, clock(h.Deadline)),
	}
}

// NotFixedMessage tells the merchant that the re-inspection found h not fixed,
// with the inspector's reason (why, when given) and h's new deadline.
func NotFixedMessage(h Hazard, siteName, why string) HazardMessage {
	zh, en := "", ""
	if why = truncate(strings.TrimSpace(why), 200); why != "" {
		zh, en = "："+why, " ("+why+")"
	}
	return HazardMessage{
		Kind:   KindNotFixed,
		TextZH: fmt.Sprintf("【复查未通过】%s 的隐患（编号 %d）复查时仍未整改好%s。请重新整改，于 %s 前再上传整改照片。", siteName, h.ID, zh, clock(h.Deadline)),
		TextEN: fmt.Sprintf("Hazard %d at %s is not fixed yet at the re-inspection%s. Please fix it and upload new photos by %s.", h.ID, siteName, en, clock(h.Deadline)),
	}
}

// DeterminationRequestedMessage invites a reviewer to the determination of h.
func DeterminationRequestedMessage(h Hazard, siteName string) HazardMessage {
	return HazardMessage{
		Kind:   KindDeterminationRequested,
		TextZH: fmt.Sprintf("【重大隐患判定】请参加 %s 隐患（%s，编号 %d）的集体判定并投票。", siteName, h.RuleCode, h.ID),
		TextEN: fmt.Sprintf("Please take part in the major-hazard determination of hazard %d (%s) at %s and vote.", h.ID, h.RuleCode, siteName),
	}
}

// DeterminationConcludedMessage tells the panel and the merchant the outcome.
func DeterminationConcludedMessage(h Hazard, siteName string, d Determination) HazardMessage {
	zh := "一般隐患"
	if d.Conclusion == SeverityMajor {
		zh = "重大事故隐患"
	}
	return HazardMessage{
		Kind:   KindDeterminationConcluded,
		TextZH: fmt.Sprintf("【判定结论】%s 的隐患（编号 %d）经集体判定为%s，整改期限 %s。措施：%s", siteName, h.ID, zh, clock(d.Deadline), truncate(d.Measures, 200)),
		TextEN: fmt.Sprintf("Determination of hazard %d at %s: %s; deadline %s. Measures: %s", h.ID, siteName, d.Conclusion, clock(d.Deadline), truncate(d.Measures, 200)),
	}
}

var levelZH = map[Level]string{LevelDistrict: "区", LevelSubdistrict: "街道", LevelCommunity: "社区", LevelGrid: "网格"}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// DistrictPolicy is the time-limit policy in force in a district, with the
// district's override of the default that produced it.
type DistrictPolicy struct {
	DistrictID int64           `json:"district_id"`
	Policy     TimeLimitPolicy `json:"policy"`
	Override   PolicyOverride  `json:"override"`
}
