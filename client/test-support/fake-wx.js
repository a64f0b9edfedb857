'use strict';
// A fake `wx` for the unit tests: storage in a Map, wx.login handing out numbered codes, and wx.request /
// wx.uploadFile answered by a fake gateway that knows the tokens it issued. Every answer comes asynchronously, after
// the gateway's `delay` (ms), so that requests really are in flight together.

class FakeGateway {
  constructor() {
    this.tokens = new Set();
    this.issued = 0;
    this.delay = 5;
    this.loginAnswer = null; // an answer to give to every login instead of a token
    this.routes = {}; // path -> function(options, identity) returning { statusCode, data, header }
  }

  /** A token the gateway takes, as if logged in earlier. */
  issue() {
    const token = 't' + (++this.issued);
    this.tokens.add(token);
    return token;
  }

  revokeAll() {
    this.tokens.clear();
  }

  answer(options) {
    const path = options.url.replace(/^https:\/\/gw\.example/, '').split('?')[0];
    if (path === '/wx/login') {
      if (this.loginAnswer) {
        return this.loginAnswer;
      }
      return { statusCode: 200, data: { token: this.issue(), tokenType: 'Bearer', expiresIn: 604800, openid: 'o_' + options.data.code } };
    }
    const authorization = (options.header || {}).Authorization;
    const custom = this.routes[path];
    if (custom && custom.public) {
      return custom(options, null);
    }
    if (!authorization) {
      return { statusCode: 401, data: { error: 'missing_token', message: 'This route needs a token.' } };
    }
    const token = authorization.replace(/^Bearer /, '');
    if (!this.tokens.has(token)) {
      return { statusCode: 401, data: { error: 'invalid_token', message: 'The token is unknown, expired or revoked.' } };
    }
    if (custom) {
      return custom(options, token);
    }
    return { statusCode: 200, data: { path: path, token: token } };
  }
}

function fakeWx(gateway) {
  const storage = new Map();
  const calls = { login: 0, request: [], uploadFile: [] };
  const later = (fn) => setTimeout(fn, gateway.delay);
  const wx = {
    calls: calls,
    storage: storage,
    loginFails: false,
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    login(options) {
      calls.login++;
      const n = calls.login;
      later(() => (wx.loginFails ? options.fail({ errMsg: 'login:fail no network' }) : options.success({ code: 'code' + n })));
    },
    request(options) {
      calls.request.push(options);
      later(() => {
        const answer = gateway.answer(options);
        if (answer === 'network') {
          options.fail({ errMsg: 'request:fail timeout' });
        } else {
          options.success(Object.assign({ header: {}, errMsg: 'request:ok' }, answer));
        }
      });
    },
    uploadFile(options) {
      calls.uploadFile.push(options);
      later(() => {
        const answer = gateway.answer(options);
        options.success({ statusCode: answer.statusCode, data: JSON.stringify(answer.data), errMsg: 'uploadFile:ok' });
      });
    }
  };
  return wx;
}

/** The wx.request calls to `path`. */
function requestsTo(wx, path) {
  return wx.calls.request.filter((call) => call.url.endsWith(path));
}

module.exports = { FakeGateway, fakeWx, requestsTo };
