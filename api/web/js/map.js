// The office's map: sites and their open hazards by grid. Leaflet (vendored from
// npm, loaded only here) draws on the city's own tile server when one is
// configured (SAFEGRID_MAP_TILE_URL); without tiles, or when they cannot be
// fetched, the sites are still plotted by their coordinates over the outlines of
// their grids (the box around each grid's sites).

import { h, replace } from './dom.js';
import { api, items, pages } from './api.js';
import { t } from './i18n.js';
import { dossierLink } from './paperwork.js';

let leaflet = null;
/** loadLeaflet adds Leaflet's stylesheet and script once and resolves to window.L. */
function loadLeaflet() {
  if (!leaflet) {
    leaflet = new Promise((resolve, reject) => {
      document.head.appendChild(h('link', { rel: 'stylesheet', href: '/vendor/leaflet/leaflet.css' }));
      const s = h('script', { src: '/vendor/leaflet/leaflet.js' });
      s.addEventListener('load', () => resolve(window.L));
      s.addEventListener('error', () => { leaflet = null; reject(new Error('leaflet')); });
      document.head.appendChild(s);
    });
  }
  return leaflet;
}

async function appConfig() {
  try { return await (await fetch('/config.json', { credentials: 'same-origin' })).json(); } catch { return {}; }
}

const GRID_COLORS = ['#0f4c81', '#1e7b3c', '#8a5a00', '#6b2d8c', '#b3261e', '#00676b'];

export async function mapView(ctx) {
  const [cfg, sites, hazards, units] = await Promise.all([
    appConfig(),
    // Every site and open hazard, page after page (a district has thousands).
    pages('/api/v1/sites', { limit: 500 }, Infinity).then((r) => r.list),
    pages('/api/v1/hazards', { state: 'open,returned,notified,rectification_submitted,reinspection_due,escalated,under_determination', limit: 500 }, Infinity).then((r) => r.list),
    api.get('/api/v1/units').then(items).catch(() => []),
  ]);
  const gridName = new Map(units.map((u) => [u.id, u.name]));
  const open = new Map();
  for (const hz of hazards) open.set(hz.site_id, [...(open.get(hz.site_id) || []), hz]);
  const placed = sites.filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lng) && (s.lat || s.lng));
  const mapEl = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map.label') });
  const note = h('p', { class: 'muted', id: 'map-tiles', role: 'status' });
  const root = h('div', { class: 'page wide-page' },
    h('h1', null, t('map.title')),
    h('p', { class: 'muted' }, t('map.intro', { sites: placed.length, hazards: hazards.length })),
    note, mapEl,
    siteList(placed, open, gridName));
  root.dataset.sites = String(placed.length);

  queueMicrotask(async () => {
    let L;
    try { L = await loadLeaflet(); } catch { replace(note, t('map.no_library')); return; }
    if (!mapEl.isConnected) return;
    const map = L.map(mapEl, { preferCanvas: false, attributionControl: true, zoomControl: false, zoomSnap: 0.5, maxZoom: 19 });
    L.control.zoom({ zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" translate="no">Leaflet</a>');
    ctx.cleanup(() => map.remove());
    let tileErrors = 0;
    let tilesLoaded = 0;
    if (cfg.map_tile_url) {
      const layer = L.tileLayer(cfg.map_tile_url, { attribution: cfg.map_attribution || '', maxZoom: 19 });
      layer.on('tileerror', () => { tileErrors++; if (!tilesLoaded) { mapEl.dataset.tiles = 'unreachable'; replace(note, t('map.tiles_unreachable')); } });
      layer.on('tileload', () => { tilesLoaded++; mapEl.dataset.tiles = 'loaded'; replace(note); });
      layer.addTo(map);
      mapEl.dataset.tiles = 'loading';
    } else {
      mapEl.dataset.tiles = 'none';
      replace(note, t('map.no_tiles'));
    }
    // Grid outlines: the box around each grid's sites.
    const byGrid = new Map();
    for (const s of placed) byGrid.set(s.grid_id, [...(byGrid.get(s.grid_id) || []), s]);
    let gi = 0;
    const outlines = [];
    for (const [grid, list] of byGrid) {
      const lats = list.map((s) => s.lat), lngs = list.map((s) => s.lng);
      const pad = 0.0015;
      const color = GRID_COLORS[gi++ % GRID_COLORS.length];
      outlines.push(L.rectangle([[Math.min(...lats) - pad, Math.min(...lngs) - pad], [Math.max(...lats) + pad, Math.max(...lngs) + pad]],
        { color, weight: 2, fill: true, fillOpacity: 0.04, dashArray: '6 4', className: 'grid-outline' })
        .bindTooltip(gridName.get(grid) || t('map.grid'), { sticky: true }).addTo(map));
    }
    const markers = [];
    for (const s of placed) {
      const n = (open.get(s.id) || []).length;
      const m = L.circleMarker([s.lat, s.lng], { radius: n ? 8 + Math.min(n, 6) : 6, color: '#fff', weight: 2, fillColor: n ? '#b3261e' : '#1e7b3c', fillOpacity: 0.9, className: `site-marker ${n ? 'has-hazards' : ''}` });
      m.bindPopup(() => {
        const el = h('div', null, h('strong', { translate: 'no' }, s.name), h('br'), h('span', { translate: 'no' }, s.address), h('br'),
          n ? h('a', { href: `/office/hazards?q=${encodeURIComponent(s.name)}&state=all` }, t('map.site_hazards', { n })) : t('map.site_clear'));
        return el;
      });
      m.addTo(map);
      markers.push(m);
    }
    // Show every grid's outline whole (a single site's outline is its padding, so
    // the zoom stays finite), and again after the screen changes size (a phone
    // turned, a window resized) until the user moves the map.
    let fitting = false, userMoved = false;
    const fit = () => {
      fitting = true;
      if (outlines.length) map.fitBounds(L.featureGroup(outlines).getBounds(), { padding: [12, 12], maxZoom: 17 });
      else map.setView([30.65, 104.06], 12);
      fitting = false;
    };
    fit();
    map.on('dragstart', () => { userMoved = true; });
    map.on('zoomstart', () => { if (!fitting) userMoved = true; });
    map.on('resize', () => { if (!userMoved) fit(); });
    mapEl.dataset.markers = String(markers.length);
    mapEl.dataset.outlines = String(byGrid.size);
    mapEl.dataset.ready = 'true';
  });
  return root;
}

/** siteList is the map's content as a table, for keyboards and screen readers. */
function siteList(sites, open, gridName) {
  const rows = sites.slice().sort((a, b) => (open.get(b.id)?.length || 0) - (open.get(a.id)?.length || 0)).slice(0, 50);
  return h('details', { class: 'card' }, h('summary', null, t('map.as_list')),
    h('table', { class: 'table compact' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('hazard.col.site')), h('th', { scope: 'col' }, t('map.grid')), h('th', { scope: 'col' }, t('map.open_hazards')), h('th', { scope: 'col' }, t('site.dossier_col')))),
      h('tbody', null, rows.map((s) => h('tr', null,
        h('td', { translate: 'no' }, s.name), h('td', { translate: 'no' }, gridName.get(s.grid_id) || ''), h('td', null, String(open.get(s.id)?.length || 0)), h('td', null, dossierLink(s.id)))))));
}
