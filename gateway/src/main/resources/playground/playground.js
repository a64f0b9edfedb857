/*
 * The playground: each button runs one call of the client library (wechat-auth.js) and shows its outcome, the
 * wx.request calls it made, and what the backend received (the local profile's echo backend answers what arrived).
 */
(function () {
  'use strict';
  var createAuthClient = module.exports.createAuthClient;
  var shim = window.wxShim;
  var auth = createAuthClient({ baseUrl: location.origin, wx: shim.wx });
  var sent = [];

  function $(id) { return document.getElementById(id); }

  /** An element with text children only: nothing the gateway or a backend answered is ever parsed as HTML. */
  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  /** Whether an answer is the echo backend's: what a backend received. */
  function isEcho(answer) {
    return Boolean(answer && typeof answer === 'object' && answer.identity && answer.headers);
  }

  function json(value) {
    return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  }

  function shortToken(value) {
    return value.replace(/(Bearer [A-Za-z0-9_-]{6})[A-Za-z0-9_.-]+/, '$1…');
  }

  function definitions(object) {
    var keys = Object.keys(object || {});
    if (keys.length === 0) {
      return el('p', 'empty', ['none']);
    }
    return el('dl', '', keys.reduce(function (nodes, key) {
      return nodes.concat([el('dt', '', [key]), el('dd', '', [json(object[key])])]);
    }, []));
  }

  shim.onRequest(function (call) {
    sent.push(call);
    renderRequests();
  });

  function renderRequests() {
    var box = $('requests');
    box.textContent = '';
    box.className = sent.length ? '' : 'empty';
    if (!sent.length) { box.textContent = 'None.'; }
    sent.forEach(function (call) {
      var head = {};
      Object.keys(call.header).forEach(function (name) { head[name] = shortToken(call.header[name]); });
      var outcome = call.failure ? el('span', 'failed', [call.failure])
          : el('span', 'status-' + String(call.statusCode).charAt(0), [String(call.statusCode)]);
      box.appendChild(el('div', 'call', [
        el('pre', '', [call.method + ' ' + call.url.replace(location.origin, '') + '  → ']), outcome,
        definitions(head),
        call.data === undefined ? el('span') : el('pre', '', ['body ' + json(call.data)]),
        el('pre', 'hint', ['answer ' + (isEcho(call.answer) ? '(the backend\'s view, on the right)' : json(call.answer))])
      ]));
    });
  }

  function renderBackend(answer) {
    var box = $('backend');
    box.textContent = '';
    var echo = isEcho(answer) ? answer : null;
    if (!echo) {
      box.className = 'empty';
      box.textContent = 'No backend: the gateway answered this itself.';
      return;
    }
    box.className = '';
    box.appendChild(el('pre', '', [echo.method + ' ' + echo.path + (echo.query ? '?' + echo.query : '')]));
    box.appendChild(el('h3', '', ['Identity headers']));
    box.appendChild(definitions(echo.identity));
    box.appendChild(el('h3', '', ['Phone headers']));
    box.appendChild(definitions(echo.phone));
    box.appendChild(el('h3', '', ['JWT' + (echo.jwt ? ' in ' + echo.jwt.in + ' (decoded here, not verified)' : '')]));
    box.appendChild(echo.jwt ? el('pre', '', [json({ header: echo.jwt.header, claims: echo.jwt.claims })])
        : el('p', 'empty', ['none']));
    box.appendChild(el('h3', '', ['Body']));
    box.appendChild(echo.body === null ? el('p', 'empty', ['none']) : el('pre', '', [json(echo.body)]));
    box.appendChild(el('h3', '', ['Every header']));
    box.appendChild(definitions(echo.headers));
  }

  function showStatus() {
    var token = auth.getToken();
    var status = $('status');
    status.className = token ? 'on' : 'off';
    status.textContent = token ? shim.user + ' has a token (' + token.slice(0, 6) + '…)' : shim.user + ' is not logged in';
  }

  /** Buttons are off while a call runs, so that the panels show one call's requests and outcome. */
  function busy(on) {
    Array.prototype.forEach.call(document.querySelectorAll('button, select'), function (control) {
      control.disabled = on;
    });
  }

  /** Runs one library call: clears the panels, shows the code, then the outcome. */
  function run(code, action) {
    busy(true);
    sent = [];
    renderRequests();
    $('code').textContent = code;
    $('result').className = 'empty';
    $('result').textContent = '…';
    return action().then(function (value) {
      $('result').className = '';
      var answer = value && value.statusCode !== undefined ? value.data : value;
      var shown = value && value.statusCode !== undefined ? { statusCode: value.statusCode, data: answer } : value;
      if (isEcho(answer)) {
        shown = value && value.statusCode !== undefined
            ? { statusCode: value.statusCode, data: 'what the backend received: below, beside the request' }
            : 'what the backend received: below, beside the request';
      }
      $('result').textContent = value === undefined ? 'done' : json(shown);
      renderBackend(answer);
      busy(false);
      showStatus();
      return value;
    }, function (failure) {
      $('result').className = 'failed';
      $('result').textContent = json({
        error: failure.error, message: failure.message, statusCode: failure.statusCode, hint: failure.hint
      });
      renderBackend(null);
      busy(false);
      showStatus();
    });
  }

  function autoLogin() {
    return $('auto-login').checked;
  }

  function route(path) {
    return function () {
      run('auth.request({ url: \'' + path + '\', autoLogin: ' + autoLogin() + ' })', function () {
        return auth.request({ url: path, autoLogin: autoLogin() });
      });
    };
  }

  function sandboxData(user) {
    return fetch('sandbox/encrypt?code=' + encodeURIComponent(user), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: $('plain').value
    }).then(function (response) { return response.json(); }).then(function (sealed) {
      if (!sealed.encryptedData) {
        throw Object.assign(new Error(sealed.errmsg || 'the sandbox could not encrypt that'), { error: 'sandbox' });
      }
      return sealed;
    });
  }

  function decryptWith(user, path) {
    return function () {
      run('const { encryptedData, iv } = /* ' + user + '\'s data from the sandbox */;\n'
          + 'auth.decrypt(encryptedData, iv' + (path ? ', { path: \'' + path + '\' }' : '') + ')', function () {
        return sandboxData(user).then(function (sealed) {
          return auth.decrypt(sealed.encryptedData, sealed.iv, path ? { path: path } : undefined);
        });
      });
    };
  }

  function phoneCode() {
    return 'phone-' + Math.random().toString(36).slice(2);
  }

  function renderSessions(list) {
    var box = $('session-list');
    box.textContent = '';
    if (!Array.isArray(list)) { return; }
    var rows = list.map(function (session) {
      var end = el('button', '', ['End']);
      end.addEventListener('click', function () {
        run('auth.endSession(\'' + session.id + '\')', function () { return auth.endSession(session.id); })
            .then(listSessions);
      });
      return el('tr', '', [
        el('td', '', [session.id.slice(0, 8) + '…' + (session.current ? ' (this one)' : '')]),
        el('td', '', [new Date(session.createdAt * 1000).toLocaleTimeString()]),
        el('td', '', [new Date(session.lastUsedAt * 1000).toLocaleTimeString()]),
        el('td', '', [(session.userAgent || '').slice(0, 24)]),
        el('td', '', [end])
      ]);
    });
    box.appendChild(el('table', '', [el('tr', '', ['id', 'login', 'last used', 'user agent', ''].map(function (h) {
      return el('th', '', [h]);
    }))].concat(rows)));
  }

  function listSessions() {
    return run('auth.sessions()', function () { return auth.sessions(); }).then(renderSessions);
  }

  $('user').addEventListener('change', function (event) {
    shim.user = event.target.value;
    renderSessions(null);
    showStatus();
  });
  $('login').addEventListener('click', function () { run('auth.login()', function () { return auth.login(); }); });
  $('logout').addEventListener('click', function () { run('auth.logout()', function () { return auth.logout(); }); });
  $('logout-everywhere').addEventListener('click', function () {
    run('auth.logoutEverywhere()', function () { return auth.logoutEverywhere(); }).then(function () { renderSessions(null); });
  });
  $('call-orders').addEventListener('click', route('/api/orders/1'));
  $('call-catalog').addEventListener('click', route('/api/catalog/1'));
  $('call-status').addEventListener('click', route('/api/status/1'));
  $('call-session').addEventListener('click', function () { run('auth.session()', function () { return auth.session(); }); });
  $('phone').addEventListener('click', function () {
    var code = phoneCode();
    run('auth.getPhoneNumber(e.detail.code /* ' + code + ' */)', function () { return auth.getPhoneNumber(code); });
  });
  $('phone-service').addEventListener('click', function () {
    var code = phoneCode();
    run('auth.getPhoneNumber(e.detail.code, { path: \'/api/users/me/phone\' })', function () {
      return auth.getPhoneNumber(code, { path: '/api/users/me/phone' });
    });
  });
  $('decrypt').addEventListener('click', function () { decryptWith(shim.user)(); });
  $('decrypt-service').addEventListener('click', function () { decryptWith(shim.user, '/api/steps')(); });
  $('decrypt-other').addEventListener('click', function () {
    decryptWith(shim.user === 'bob' ? 'alice' : 'bob')();
  });
  $('sessions').addEventListener('click', listSessions);
  showStatus();
})();
