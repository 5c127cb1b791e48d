package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// Directory is what the factory needs from storage: units, users and sites
// (DirectoryOf gives it from the storage services).
type Directory interface {
	CreateUnit(ctx context.Context, p inspect.Principal, u inspect.Unit) (inspect.Unit, error)
	CreateUserUnchecked(ctx context.Context, u inspect.User, passwordHash string) (inspect.User, error)
	PrincipalOf(ctx context.Context, userID int64) (inspect.Principal, error)
	CreateSite(ctx context.Context, p inspect.Principal, s inspect.Site) (inspect.Site, error)
}

// Factory builds the test world on one store (River's testfactory): an admin,
// units, users of every role and sites, each made in one call that fails the
// test on any error. Users get the factory's password.
type Factory struct {
	t        testing.TB
	ctx      context.Context
	store    Directory
	hash     string
	Admin    inspect.User
	AdminP   inspect.Principal
	Password string
}

// phoneSeq numbers the phones of users made without one, unique per process.
var phoneSeq atomic.Int64

// NewFactory returns a factory on store whose users log in with password, and
// makes its admin (username "admin").
func NewFactory(t testing.TB, store Directory, password string) *Factory {
	t.Helper()
	hash, err := inspect.HashPassword(password, inspect.DefaultPasswordParams())
	if err != nil {
		t.Fatal(err)
	}
	f := &Factory{t: t, ctx: context.Background(), store: store, hash: hash, Password: password}
	f.Admin = f.User(inspect.User{Username: "admin", DisplayName: "Admin", Role: inspect.RoleAdmin})
	f.AdminP = f.Principal(f.Admin)
	return f
}

// Unit makes an org unit under parent (0 for a district).
func (f *Factory) Unit(parent int64, level inspect.Level, name string) inspect.Unit {
	f.t.Helper()
	u, err := f.store.CreateUnit(f.ctx, f.AdminP, inspect.Unit{ParentID: parent, Level: level, Name: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// Tree is one branch of the district tree, from the district down to a grid.
type Tree struct {
	District, Subdistrict, Community, Grid inspect.Unit
}

// Tree makes a district with one subdistrict, community and grid, named by
// names (district, subdistrict, community, grid; the level names by default).
func (f *Factory) Tree(names ...string) Tree {
	f.t.Helper()
	name := func(i int, def inspect.Level) string {
		if i < len(names) {
			return names[i]
		}
		return string(def)
	}
	var tr Tree
	tr.District = f.Unit(0, inspect.LevelDistrict, name(0, inspect.LevelDistrict))
	tr.Subdistrict = f.Unit(tr.District.ID, inspect.LevelSubdistrict, name(1, inspect.LevelSubdistrict))
	tr.Community = f.Unit(tr.Subdistrict.ID, inspect.LevelCommunity, name(2, inspect.LevelCommunity))
	tr.Grid = f.Unit(tr.Community.ID, inspect.LevelGrid, name(3, inspect.LevelGrid))
	return tr
}

// User makes a user with the factory's password; a user without a phone gets a
// unique one, without a display name their username.
func (f *Factory) User(u inspect.User) inspect.User {
	f.t.Helper()
	if u.Phone == "" {
		u.Phone = fmt.Sprintf("1370%07d", phoneSeq.Add(1))
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Username
	}
	u, err := f.store.CreateUserUnchecked(f.ctx, u, f.hash)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// Officer makes a safety officer of unit.
func (f *Factory) Officer(username string, unit inspect.Unit) inspect.User {
	f.t.Helper()
	return f.User(inspect.User{Username: username, Role: inspect.RoleSafetyOfficer, UnitID: unit.ID})
}

// Inspector makes an inspector working in grid.
func (f *Factory) Inspector(username string, grid inspect.Unit) inspect.User {
	f.t.Helper()
	return f.User(inspect.User{Username: username, Role: inspect.RoleInspector, UnitID: grid.ID, GridIDs: []int64{grid.ID}})
}

// Merchant makes a merchant (linked to premises by Site).
func (f *Factory) Merchant(username string) inspect.User {
	f.t.Helper()
	return f.User(inspect.User{Username: username, Role: inspect.RoleMerchant})
}

// Principal returns u's principal as storage resolves it now (a merchant's
// premises are read when it is made: make it after the merchant's sites).
func (f *Factory) Principal(u inspect.User) inspect.Principal {
	f.t.Helper()
	p, err := f.store.PrincipalOf(f.ctx, u.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// Site makes a site as the admin; empty fields get a shop of the shop-street
// profile (testdata/profiles/shop-street-lpg.json) in Chengdu.
func (f *Factory) Site(s inspect.Site) inspect.Site {
	f.t.Helper()
	if s.Type == "" {
		s.Type = "shop"
	}
	if s.Address == "" {
		s.Address = "1 Yulin Road"
	}
	if s.Lat == 0 && s.Lng == 0 {
		s.Lat, s.Lng = 30.64, 104.05
	}
	if s.Profile == nil {
		s.Profile = Profile(f.t, "shop-street-lpg.json")
	}
	s, err := f.store.CreateSite(f.ctx, f.AdminP, s)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// Profile returns a site profile of testdata/profiles by file name.
func Profile(t testing.TB, name string) json.RawMessage {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "testdata", "profiles", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Env is one test's storage: a database of its own (and its URL), a bucket of its
// own, the embedded rules and the storage services on them.
type Env struct {
	DB      *storage.DB
	URL     string
	Objects *storage.ObjectStore
	Rules   *checklists.RuleSet
	Store   *storage.Services
}

var embeddedRules = sync.OnceValues(checklists.LoadEmbedded)

// DirectoryOf is the factory's view of the storage services s.
func DirectoryOf(s *storage.Services) Directory {
	return struct {
		*storage.DirectoryService
		*storage.SiteService
	}{s.Directory, s.Sites}
}

// New returns the storage services on a database and a bucket of this test's own, with the
// embedded rules.
func New(t testing.TB) Env {
	t.Helper()
	var e Env
	e.DB, e.URL = NewDB(t)
	e.Objects = NewBucket(t)
	rules, err := embeddedRules()
	if err != nil {
		t.Fatal(err)
	}
	e.Rules = rules
	e.Store = storage.New(storage.Deps{DB: e.DB, Objects: e.Objects, Rules: rules})
	return e
}
