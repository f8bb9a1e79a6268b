// Loads the documents table from the JSON API and explains, rather than hides, a failing backend.
(function () {
  'use strict';
  var table = document.querySelector('#documents tbody');
  var problem = document.getElementById('problem');
  var select = document.getElementById('status');

  function cell(text, className) {
    var td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function render(documents) {
    table.replaceChildren();
    documents.forEach(function (doc) {
      var tr = document.createElement('tr');
      tr.append(cell(doc.title), cell(doc.category), cell(doc.status, 'status-' + doc.status),
        cell(doc.owner), cell(doc.review_due));
      table.append(tr);
    });
    if (documents.length === 0) {
      var tr = document.createElement('tr');
      var td = cell('No documents with this status.');
      td.colSpan = 5;
      tr.append(td);
      table.append(tr);
    }
  }

  function load() {
    var query = select.value ? '?status=' + encodeURIComponent(select.value) : '';
    fetch('/api/documents' + query, { headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || 'HTTP ' + response.status);
          return body;
        });
      })
      .then(function (body) { problem.hidden = true; render(body.documents); })
      .catch(function (error) {
        problem.textContent = 'The document list is unavailable: ' + error.message;
        problem.hidden = false;
      });
  }

  select.addEventListener('change', load);
  load();
})();
