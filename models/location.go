package models

import (
	"slices"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// Location tags of the place a photo shows, taken from the checklist item it
// belongs to. The tags and their labels are the vocabulary's (inspect/vocab.go).
const (
	LocationCorridor      = inspect.LocationCorridor
	LocationStairwell     = inspect.LocationStairwell
	LocationExit          = inspect.LocationExit
	LocationLobby         = inspect.LocationLobby
	LocationLift          = inspect.LocationLift
	LocationRoom          = inspect.LocationRoom
	LocationKitchen       = inspect.LocationKitchen
	LocationStorefront    = inspect.LocationStorefront
	LocationEquipmentRoom = inspect.LocationEquipmentRoom
	LocationBikeStore     = inspect.LocationBikeStore
	LocationOutdoors      = inspect.LocationOutdoors
)

// Locations lists the known location tags.
func Locations() []string { return inspect.LocationTags() }

// locationAliases maps other spellings inspectors and rule packs use to the tags above.
// An entrance or doorway is an exit (安全出口: the door, either side of it); an entrance
// hall is a lobby; a storeroom is a room.
var locationAliases = map[string]string{
	"hallway": LocationCorridor, "hall": LocationCorridor, "passage": LocationCorridor,
	"stairs": LocationStairwell, "staircase": LocationStairwell, "stairway": LocationStairwell,
	"emergency_exit": LocationExit, "fire_exit": LocationExit, "exit_door": LocationExit,
	"entrance": LocationExit, "doorway": LocationExit, "front_door": LocationExit,
	"entrance_hall": LocationLobby, "foyer": LocationLobby, "entryway": LocationLobby, "vestibule": LocationLobby,
	"lift_lobby": LocationLobby, "elevator_lobby": LocationLobby,
	"elevator": LocationLift, "lift_car": LocationLift,
	"bedroom": LocationRoom, "living_room": LocationRoom, "guest_room": LocationRoom,
	"storeroom": LocationRoom, "store_room": LocationRoom, "stockroom": LocationRoom, "stock_room": LocationRoom,
	"storage": LocationRoom, "storage_room": LocationRoom, "warehouse": LocationRoom,
	"kitchenette": LocationKitchen, "galley_kitchen": LocationKitchen,
	"shop": LocationStorefront, "shopfront": LocationStorefront, "shop_front": LocationStorefront, "store_front": LocationStorefront,
	"bike_shed": LocationBikeStore, "bicycle_store": LocationBikeStore, "bike_room": LocationBikeStore,
	"outside": LocationOutdoors, "outdoor": LocationOutdoors, "street": LocationOutdoors, "yard": LocationOutdoors,
}

// NormalizeLocation returns the canonical tag for a location as written ("Bike store",
// "bedroom", "fire-exit"), and false when it is not a known place.
func NormalizeLocation(s string) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.NewReplacer(" ", "_", "-", "_").Replace(t)
	if slices.Contains(Locations(), t) {
		return t, true
	}
	if a, ok := locationAliases[t]; ok {
		return a, true
	}
	return t, false
}
