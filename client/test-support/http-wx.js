'use strict';
// A `wx` for Node whose wx.request and wx.uploadFile do real HTTP (fetch), as a mini-program's do: data as a JSON body
// (or the query string of a GET), Content-Type application/json by default, a JSON answer parsed. wx.login gives
// codes of the local profile's WeChat sandbox: `user:n`, every code of one user logging in as that user.
const fs = require('node:fs');
const path = require('node:path');

function httpWx(user) {
  const storage = new Map();
  const calls = { login: 0, request: [], uploadFile: [] };
  let codes = 0;

  function answerOf(response, text) {
    const header = {};
    response.headers.forEach((value, name) => { header[name] = value; });
    return { statusCode: response.status, header: header, text: text };
  }

  function parsedJson(text) {
    try {
      return JSON.parse(text);
    } catch (notJson) {
      return text;
    }
  }

  function settle(options, promise, errPrefix) {
    promise.then((answer) => options.success(answer),
        (failure) => options.fail({ errMsg: errPrefix + ':fail ' + failure.message }));
  }

  return {
    calls: calls,
    user: user,
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    login(options) {
      calls.login++;
      const code = user + ':' + (++codes) + '-' + process.pid;
      setImmediate(() => options.success({ code: code, errMsg: 'login:ok' }));
    },
    request(options) {
      calls.request.push(options);
      const method = (options.method || 'GET').toUpperCase();
      const header = Object.assign({ 'Content-Type': 'application/json' }, options.header);
      let url = options.url;
      let body;
      if (options.data !== undefined && (method === 'GET' || method === 'HEAD')) {
        url += (url.includes('?') ? '&' : '?') + new URLSearchParams(options.data).toString();
      } else if (options.data !== undefined) {
        body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      }
      settle(options, fetch(url, { method: method, headers: header, body: body })
          .then((response) => response.text().then((text) => {
            const answer = answerOf(response, text);
            return { statusCode: answer.statusCode, header: answer.header, data: parsedJson(text), errMsg: 'request:ok' };
          })), 'request');
    },
    uploadFile(options) {
      calls.uploadFile.push(options);
      const form = new FormData();
      Object.entries(options.formData || {}).forEach(([name, value]) => form.append(name, String(value)));
      form.append(options.name, new Blob([fs.readFileSync(options.filePath)]), path.basename(options.filePath));
      settle(options, fetch(options.url, { method: 'POST', headers: options.header, body: form })
          .then((response) => response.text().then((text) => ({
            statusCode: response.status, data: text, errMsg: 'uploadFile:ok'
          }))), 'uploadFile');
    }
  };
}

module.exports = { httpWx };
