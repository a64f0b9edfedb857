/*
 * A small `wx` for the browser, so that the playground runs the mini-program library (wechat-auth.js) as it is:
 * - wx.login gives a code of the local profile's WeChat sandbox for the simulated user: `alice:<random>` logs in as
 *   alice, whatever follows the colon;
 * - wx.request is fetch, as a mini-program's request is (JSON body, or the query string of a GET; a JSON answer parsed);
 * - the storage is the browser's localStorage, one shelf per simulated user (two users are two phones).
 * Every wx.request is reported to the listeners of wxShim.onRequest, with its answer.
 */
(function () {
  'use strict';
  var listeners = [];
  var shim = {
    user: 'alice',
    onRequest: function (listener) { listeners.push(listener); }
  };

  function shelf(key) {
    return 'playground:' + shim.user + ':' + key;
  }

  function report(call) {
    listeners.forEach(function (listener) { listener(call); });
  }

  function randomCode() {
    var bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  shim.wx = {
    getStorageSync: function (key) {
      var value = localStorage.getItem(shelf(key));
      return value === null ? '' : value;
    },
    setStorageSync: function (key, value) { localStorage.setItem(shelf(key), value); },
    removeStorageSync: function (key) { localStorage.removeItem(shelf(key)); },
    login: function (options) {
      var code = shim.user + ':' + randomCode();
      setTimeout(function () { options.success({ code: code, errMsg: 'login:ok' }); }, 0);
    },
    request: function (options) {
      var method = (options.method || 'GET').toUpperCase();
      var header = Object.assign({ 'Content-Type': 'application/json' }, options.header);
      var url = options.url;
      var body;
      if (options.data !== undefined && (method === 'GET' || method === 'HEAD')) {
        url += (url.indexOf('?') < 0 ? '?' : '&') + new URLSearchParams(options.data).toString();
      } else if (options.data !== undefined) {
        body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      }
      var call = { method: method, url: url, header: header, data: options.data };
      fetch(url, { method: method, headers: header, body: body, credentials: 'omit' }).then(function (response) {
        return response.text().then(function (text) {
          var data = text;
          try { data = JSON.parse(text); } catch (notJson) { /* text stays text, as wx.request leaves it */ }
          var answerHeader = {};
          response.headers.forEach(function (value, name) { answerHeader[name] = value; });
          call.statusCode = response.status;
          call.answer = data;
          report(call);
          options.success({ statusCode: response.status, data: data, header: answerHeader, errMsg: 'request:ok' });
        });
      }, function (failure) {
        call.failure = String(failure);
        report(call);
        options.fail({ errMsg: 'request:fail ' + failure });
      });
    }
  };

  window.wxShim = shim;
})();
