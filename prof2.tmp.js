const fs=require('fs');
const { extractFacts } = require('/work/main/out/server/src/facts/extract');
const files = fs.readFileSync('/tmp/createfiles.txt','utf8').trim().split('\n');
const texts = files.map(f=>fs.readFileSync(f,'utf8'));
let t=Date.now(); const r=texts.map((x,i)=>extractFacts(files[i], x, undefined, {focus:'creations'})); console.log('focused extract', Date.now()-t);
fs.writeFileSync('/tmp/focus-'+process.argv[2]+'.json', JSON.stringify(r.map(f=>({caches:f.caches, fns:f.functions.filter(x=>!x.stub).map(x=>x.name+' '+x.events.length), stubs:f.functions.filter(x=>x.stub).map(x=>x.name).sort()}))));
