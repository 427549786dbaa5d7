/** CloudFront viewer-request function (cloudfront-js-2.0): sends a browser that accepts brotli to the `.br` sibling `formroute publish` stores next to each format-2 artifact (FORMAT.md "Wire encodings"); template.yaml inlines this file. */
function acceptsBrotli(value) {
  var parts = value.split(',');
  for (var i = 0; i < parts.length; i++) {
    var params = parts[i].split(';');
    if (params[0].trim().toLowerCase() !== 'br') continue;
    var q = 1;
    for (var j = 1; j < params.length; j++) {
      var kv = params[j].split('=');
      if (kv[0].trim().toLowerCase() === 'q') q = parseFloat(kv[1]);
    }
    return q > 0;
  }
  return false;
}

function handler(event) {
  var request = event.request;
  var accept = request.headers['accept-encoding'];
  var v2 = request.uri.slice(-7) === '.v2.frt';
  if (v2 && accept && acceptsBrotli(accept.value)) {
    request.uri = request.uri + '.br';
  }
  return request;
}
