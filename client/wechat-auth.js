/*
 * wechat-auth.js: the mini-program side of wechat-auth-gateway. One ES2017 CommonJS file, no dependencies:
 * copy it into the mini-program, or install the npm package and build npm in the developer tools.
 *
 *   const { createAuthClient } = require('./wechat-auth');
 *   const auth = createAuthClient({ baseUrl: 'https://api.example.com' });
 *   auth.request({ url: '/api/orders/1' }).then(res => console.log(res.data));
 *
 * Every request carries the session's token. A 401 missing_token or invalid_token runs one login (wx.login, then
 * the gateway's login route) shared by every request that needs it; requests made meanwhile wait for it; each request
 * is retried once, and never more. The token is kept with wx.setStorageSync.
 */
'use strict';

/** The gateway's error codes that a new login cures. */
const LOGIN_CURES = ['missing_token', 'invalid_token'];

const DEFAULTS = {
  baseUrl: '',
  loginPath: '/wx/login',
  logoutPath: '/wx/logout',
  sessionPath: '/wx/session',
  sessionsPath: '/wx/sessions',
  phonePath: '/wx/phone',
  decryptPath: '/wx/decrypt',
  storageKey: 'wechat-auth-token',
  autoLogin: true,
  appid: undefined,
  wx: undefined
};

/** Options of request() that belong to this library and are not passed to wx.request. */
const OWN_OPTIONS = ['autoLogin'];

/**
 * An error answer of the gateway (or of a service behind it), a network failure, or a failed wx call.
 * `error` is the gateway's error code (`invalid_token`, `decrypt_failed`, …), or `http_error` for an error answer
 * without one, `network_error` when no answer came, `wx_login_failed` when wx.login failed, `no_phone_code` when the
 * user declined the phone number; `message` is the gateway's sentence; `statusCode`, `data` and `header` are the
 * answer's (absent when none came).
 */
class WechatAuthError extends Error {
  constructor(error, message, answer, hint) {
    super(message);
    this.name = 'WechatAuthError';
    this.error = error;
    if (answer) {
      this.statusCode = answer.statusCode;
      this.data = answer.data;
      this.header = answer.header;
    }
    if (hint) {
      this.hint = hint;
    }
  }
}

/** Creates a client of the gateway at `options.baseUrl`; see wechat-auth.d.ts for every option. */
function createAuthClient(options) {
  const config = Object.assign({}, DEFAULTS, options || {});
  const api = config.wx || (typeof wx !== 'undefined' ? wx : undefined);
  if (!api || typeof api.request !== 'function') {
    throw new TypeError('wechat-auth: no wx API: run in a mini-program, or pass { wx }');
  }
  const baseUrl = String(config.baseUrl).replace(/\/+$/, '');
  let loginInFlight = null;

  function token() {
    return api.getStorageSync(config.storageKey) || '';
  }

  function keepToken(value) {
    if (value) {
      api.setStorageSync(config.storageKey, value);
    } else {
      api.removeStorageSync(config.storageKey);
    }
  }

  function absolute(url) {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : baseUrl + (url.charAt(0) === '/' ? '' : '/') + url;
  }

  /** Whether the token may go with a request to `url`: to the gateway only, never to another host. */
  function toGateway(url) {
    return !baseUrl || url === baseUrl || url.indexOf(baseUrl + '/') === 0 || url.indexOf(baseUrl + '?') === 0;
  }

  /** One call of wx.request or wx.uploadFile with the current token; resolves to its success result. */
  function send(call, callOptions, withToken) {
    const url = absolute(callOptions.url);
    const header = Object.assign({}, callOptions.header);
    const current = token();
    if (withToken && current && toGateway(url)) {
      header.Authorization = 'Bearer ' + current;
    }
    return new Promise((resolve, reject) => {
      api[call](Object.assign({}, callOptions, {
        url: url,
        header: header,
        success: (answer) => resolve({ answer: call === 'uploadFile' ? parsed(answer) : answer, token: current }),
        fail: (failure) => reject(new WechatAuthError('network_error',
            (failure && failure.errMsg) || call + ' failed', null))
      }));
    });
  }

  function wxLogin() {
    return new Promise((resolve, reject) => {
      api.login({
        success: (result) => result && result.code ? resolve(result.code)
            : reject(new WechatAuthError('wx_login_failed', 'wx.login gave no code', null)),
        fail: (failure) => reject(new WechatAuthError('wx_login_failed',
            (failure && failure.errMsg) || 'wx.login failed', null))
      });
    });
  }

  /**
   * Logs in: wx.login, then the gateway's login route; keeps the token. While a login runs, every other call of
   * login() (and every request that needs one) shares it.
   */
  function login() {
    if (!loginInFlight) {
      const running = runLogin();
      loginInFlight = running;
      const done = () => {
        if (loginInFlight === running) {
          loginInFlight = null;
        }
      };
      running.then(done, done);
    }
    return loginInFlight;
  }

  async function runLogin() {
    const code = await wxLogin();
    const body = { code: code };
    if (config.appid) {
      body.appid = config.appid;
    }
    const sent = await send('request', {
      url: config.loginPath, method: 'POST', data: body, header: { 'Content-Type': 'application/json' }
    }, false);
    const answer = sent.answer;
    const data = answer.data && typeof answer.data === 'object' ? answer.data : {};
    // a login route with a service behind it answers the token in X-Auth-Token
    const newToken = data.token || headerValue(answer.header, 'X-Auth-Token');
    if (answer.statusCode >= 300 || !newToken) {
      throw errorOf(answer);
    }
    keepToken(newToken);
    const expiresIn = data.expiresIn !== undefined ? data.expiresIn
        : Number(headerValue(answer.header, 'X-Auth-Expires-In')) || undefined;
    return { openid: data.openid, unionid: data.unionid, expiresIn: expiresIn, data: answer.data };
  }

  /**
   * wx.request or wx.uploadFile with the token, curing a 401 missing_token or invalid_token by one shared login and
   * one retry. Resolves to the call's success result; rejects on a network failure or an error answer.
   */
  async function call(kind, options) {
    if (!options || !options.url) {
      throw new TypeError('wechat-auth: ' + kind + ' needs a url');
    }
    const autoLogin = options.autoLogin !== undefined ? options.autoLogin : config.autoLogin;
    const callOptions = without(options, OWN_OPTIONS);
    let loginFailure = null;
    if (loginInFlight) {
      // queue behind the login that is running, to go with its token
      await loginInFlight.catch((failure) => { loginFailure = failure; });
    }
    const first = await send(kind, callOptions, true);
    if (!autoLogin || !curedByLogin(first.answer)) {
      return settled(first.answer);
    }
    if (loginFailure) {
      throw loginFailure;
    }
    // a login finished since this request left (another request's): its token is the cure, no new login
    if (!token() || token() === first.token) {
      await login();
    }
    const retried = await send(kind, callOptions, true);
    return settled(retried.answer);
  }

  function request(options) {
    return call('request', options);
  }

  function uploadFile(options) {
    if (typeof api.uploadFile !== 'function') {
      return Promise.reject(new TypeError('wechat-auth: this wx has no uploadFile'));
    }
    return call('uploadFile', options);
  }

  /** Ends this session at the gateway and forgets the token; an already ended session is not an error. */
  async function logout() {
    if (!token()) {
      return;
    }
    try {
      await request({ url: config.logoutPath, method: 'POST', autoLogin: false });
    } catch (failure) {
      if (!LOGIN_CURES.includes(failure.error)) {
        keepToken('');
        throw failure;
      }
    }
    keepToken('');
  }

  /** Ends every session of the user in this mini-program, on every device, this one included. */
  async function logoutEverywhere() {
    if (!token()) {
      return;
    }
    try {
      await request({ url: config.sessionsPath, method: 'DELETE', autoLogin: false });
    } finally {
      keepToken('');
    }
  }

  /** The user's sessions, newest first: [{ id, createdAt, lastUsedAt, expiresIn, userAgent?, current }]. */
  async function sessions() {
    const answer = await request({ url: config.sessionsPath, method: 'GET' });
    return (answer.data && answer.data.sessions) || [];
  }

  /** Ends one of the user's sessions, by the id sessions() gave. */
  async function endSession(id) {
    await request({ url: config.sessionsPath + '/' + encodeURIComponent(id), method: 'DELETE', autoLogin: false });
  }

  /** The session of the token: { openid, unionid?, appid, expiresIn, createdAt? }. */
  async function session() {
    return (await request({ url: config.sessionPath, method: 'GET' })).data;
  }

  /**
   * The user's phone number from the getPhoneNumber button's `e.detail.code`:
   * { phoneNumber, purePhoneNumber, countryCode } (or what the service behind the phone route answers).
   */
  async function getPhoneNumber(code, options) {
    if (!code) {
      throw new WechatAuthError('no_phone_code',
          'No phone code: the user declined, or this is not the getPhoneNumber button\'s e.detail.code', null);
    }
    const path = (options && options.path) || config.phonePath;
    return (await request({ url: path, method: 'POST', data: { code: code } })).data;
  }

  /**
   * The JSON object of `encryptedData` (wx.getWeRunData, wx.getShareInfo, …), decrypted by the gateway with the
   * user's newest session_key. Takes (encryptedData, iv) or the wx API's result ({ encryptedData, iv }).
   * A decrypt_failed rejection means the data was made with an older session_key: log in again (login()), then
   * fetch the data again and send that.
   */
  async function decrypt(encryptedData, iv, options) {
    if (encryptedData && typeof encryptedData === 'object') {
      options = iv;
      iv = encryptedData.iv;
      encryptedData = encryptedData.encryptedData;
    }
    const path = (options && options.path) || config.decryptPath;
    try {
      return (await request({
        url: path, method: 'POST', data: { encryptedData: encryptedData, iv: iv }
      })).data;
    } catch (failure) {
      if (failure.error === 'decrypt_failed') {
        failure.hint = 'decrypt_failed: the data was encrypted with an older session_key. Call login(), then ask '
            + 'WeChat for the data again (wx.getWeRunData, …) and send the new data.';
      }
      throw failure;
    }
  }

  return {
    request: request,
    uploadFile: uploadFile,
    login: login,
    logout: logout,
    logoutEverywhere: logoutEverywhere,
    sessions: sessions,
    endSession: endSession,
    session: session,
    getPhoneNumber: getPhoneNumber,
    decrypt: decrypt,
    /** The stored token, '' when logged out. */
    getToken: token,
    /** Whether a token is stored (it may still have expired at the gateway). */
    isLoggedIn: () => token() !== ''
  };
}

function curedByLogin(answer) {
  return answer.statusCode === 401 && LOGIN_CURES.includes(errorCode(answer.data));
}

function settled(answer) {
  if (answer.statusCode >= 400) {
    throw errorOf(answer);
  }
  return answer;
}

function errorOf(answer) {
  const data = answer.data;
  const code = errorCode(data);
  const message = data && typeof data === 'object' && typeof data.message === 'string' ? data.message
      : 'HTTP ' + answer.statusCode;
  return new WechatAuthError(code || 'http_error', message, answer);
}

function errorCode(data) {
  return data && typeof data === 'object' && typeof data.error === 'string' ? data.error : undefined;
}

/** wx.uploadFile gives the body as text: JSON is parsed, as wx.request does. */
function parsed(answer) {
  if (typeof answer.data !== 'string') {
    return answer;
  }
  try {
    return Object.assign({}, answer, { data: JSON.parse(answer.data) });
  } catch (notJson) {
    return answer;
  }
}

function headerValue(header, name) {
  const wanted = name.toLowerCase();
  const key = Object.keys(header || {}).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? undefined : header[key];
}

function without(object, names) {
  const copy = Object.assign({}, object);
  names.forEach((name) => { delete copy[name]; });
  return copy;
}

module.exports = { createAuthClient: createAuthClient, WechatAuthError: WechatAuthError };
