// Loads the documents table from the JSON API and explains, rather than hides, a failing backend.
(() => {
  const table = document.querySelector('#documents tbody');
  const problem = document.getElementById('problem');
  const select = document.getElementById('status');

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function render(documents) {
    table.replaceChildren();
    for (const doc of documents) {
      const tr = document.createElement('tr');
      tr.append(
        cell(doc.title),
        cell(doc.category),
        cell(doc.status, `status-${doc.status}`),
        cell(doc.owner),
        cell(doc.review_due),
      );
      table.append(tr);
    }
    if (documents.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('No documents with this status.');
      td.colSpan = 5;
      tr.append(td);
      table.append(tr);
    }
  }

  async function load() {
    const query = select.value ? `?status=${encodeURIComponent(select.value)}` : '';
    try {
      const response = await fetch(`/api/documents${query}`, { headers: { Accept: 'application/json' } });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
      problem.hidden = true;
      render(body.documents);
    } catch (error) {
      problem.textContent = `The document list is unavailable: ${error.message}`;
      problem.hidden = false;
    }
  }

  select.addEventListener('change', load);
  load();
})();
