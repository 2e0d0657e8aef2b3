// Wagtail's Checks panel scores readability with its own formula (LIX, fixed in its code).
// The preview carries our verdict (cms/readability.py) in a <template> inside <main>, the
// element the panel reads; we hand that to the panel before it shows its metrics, so the
// panel, the preview and the edit form say the same thing. No verdict: "-".
document.addEventListener('w-preview:content', (event) => {
  const { content, metrics } = event.detail || {};
  if (!metrics) return;
  const html = (content && content.innerHTML) || '';
  const found = new DOMParser()
    .parseFromString(html, 'text/html')
    .querySelector('[data-readability-verdict]');
  metrics.readabilityScore = found ? found.dataset.readabilityVerdict : '-';
});
