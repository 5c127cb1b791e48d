package inspect

// ItemPhoto names one photo of an inspection and the checklist item it answers.
type ItemPhoto struct {
	ID       string `json:"id"`
	ItemCode string `json:"item_code"`
}
