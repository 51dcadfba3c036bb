#!/usr/bin/env python3
"""Cases for the training-related ops beyond the ONNX node tests: the
ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) with several
tensors, double precision, T = 0 and left-out outputs; BatchNormalization in
training mode at opsets 7, 9, 14 and 15, with constant parameters too (bnc9,
bnc15: the optimizer must not fold a training-mode node into Mul + Add); and
Dropout with compile-time training_mode. Expected outputs come from
onnxruntime or the onnx reference implementation. The cases are written in
the ONNX backend-test layout to tests/train/cases (committed) and checked
with `mlc test` (ctest: train_ops).

usage: make_cases.py   (rewrites tests/train/cases)"""
import onnx, numpy as np, os, shutil, onnxruntime as ort
from onnx import helper, numpy_helper, TensorProto as TP
from onnx.reference import ReferenceEvaluator
root=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases'); shutil.rmtree(root, ignore_errors=True)
rng=np.random.default_rng(1)
def save(name, model, feeds, outs):
    d=os.path.join(root,name); os.makedirs(d+'/test_data_set_0')
    onnx.save(model, d+'/model.onnx')
    for i,(k,v) in enumerate(feeds.items()):
        t=numpy_helper.from_array(v,k); open(f'{d}/test_data_set_0/input_{i}.pb','wb').write(t.SerializeToString())
    for i,(o,v) in enumerate(zip(model.graph.output,outs)):
        t=numpy_helper.from_array(np.asarray(v),o.name); open(f'{d}/test_data_set_0/output_{i}.pb','wb').write(t.SerializeToString())
NP={TP.FLOAT:np.float32,TP.DOUBLE:np.float64,TP.INT64:np.int64,TP.BOOL:np.bool_}
def vi(n,t,shape): return helper.make_tensor_value_info(n,t,shape)
# optimizers
def opt(name, op, k, dt, rdt, T, attrs, drop=()):
    w={'Adagrad':3,'Adam':4,'Momentum':3}[op]
    roles=['X','G','V','H'] if op=='Adam' else (['X','G','H'] if op=='Adagrad' else ['X','G','V'])
    shapes=[tuple(int(q) for q in rng.integers(1,4,size=rng.integers(0,3))) for _ in range(k)]
    ins=['R','T']+[f'{r}{j}' for r in roles for j in range(k)]
    outs=[f'{r}{j}_new' for r in ([roles[0]]+roles[2:]) for j in range(k)]
    outs_node=[o if o not in drop else '' for o in outs]
    node=helper.make_node(op,ins,outs_node,domain='ai.onnx.preview.training',**attrs)
    feeds={'R':np.array(0.1 if rdt==TP.FLOAT else 0.05,dtype=NP[rdt]),'T':np.array(T,dtype=np.int64)}
    for r in roles:
        for j in range(k):
            a=rng.standard_normal(shapes[j]).astype(NP[dt])
            if r=='H': a=np.abs(a)
            feeds[f'{r}{j}']=a
    ginputs=[vi('R',rdt,[]),vi('T',TP.INT64,[])]+[vi(f'{r}{j}',dt,list(shapes[j])) for r in roles for j in range(k)]
    goutputs=[vi(o,dt,None) for o in outs if o not in drop]
    g=helper.make_graph([node],name,ginputs,goutputs)
    m=helper.make_model(g,opset_imports=[helper.make_opsetid('',17),helper.make_opsetid('ai.onnx.preview.training',1)])
    ref=ReferenceEvaluator(m).run(None,feeds)
    save(name,m,feeds,ref)
opt('adagrad_f64','Adagrad',2,TP.DOUBLE,TP.DOUBLE,3,dict(decay_factor=0.2,epsilon=1e-4,norm_coefficient=0.01))
opt('adagrad_def','Adagrad',1,TP.FLOAT,TP.FLOAT,0,{})
opt('adam_t0','Adam',2,TP.FLOAT,TP.FLOAT,0,dict(alpha=0.8,beta=0.9,norm_coefficient=0.1))
opt('adam_post','Adam',3,TP.FLOAT,TP.DOUBLE,5,dict(alpha=0.8,beta=0.9,norm_coefficient=0.1,norm_coefficient_post=0.05,epsilon=1e-3))
opt('adam_def','Adam',1,TP.DOUBLE,TP.FLOAT,2,{})
opt('adam_drop','Adam',2,TP.FLOAT,TP.FLOAT,2,{}, drop=('V0_new','H1_new','X1_new'))
opt('mom_t0','Momentum',2,TP.FLOAT,TP.FLOAT,0,dict(alpha=0.9,beta=0.5,norm_coefficient=0.1,mode='standard'))
opt('nest_t3','Momentum',2,TP.DOUBLE,TP.FLOAT,3,dict(alpha=0.9,beta=0.5,norm_coefficient=0.1,mode='nesterov'))
# batchnorm
def bn(name, opset, nout, attrs, shape=(2,3,4,5), sess='ort'):
    outs=['y','om','ov','sm','sv'][:nout]
    node=helper.make_node('BatchNormalization',['x','s','b','m','v'],outs,**attrs)
    c=shape[1] if attrs.get('spatial',1) else int(np.prod(shape[1:]))
    feeds=dict(x=rng.standard_normal(shape).astype(np.float32)+3,s=rng.standard_normal(c).astype(np.float32),b=rng.standard_normal(c).astype(np.float32),m=rng.standard_normal(c).astype(np.float32),v=rng.random(c).astype(np.float32))
    g=helper.make_graph([node],name,[vi(k,TP.FLOAT,list(a.shape)) for k,a in feeds.items()],[vi(o,TP.FLOAT,None) for o in outs])
    m=helper.make_model(g,opset_imports=[helper.make_opsetid('',opset)]); m.ir_version=8
    ref=ort.InferenceSession(m.SerializeToString(),providers=['CPUExecutionProvider']).run(None,feeds) if sess=='ort' else ReferenceEvaluator(m).run(None,feeds)
    save(name,m,feeds,ref)
bn('bn7_5out',7,5,dict(epsilon=0.01,momentum=0.7))
bn('bn9_5out',9,5,dict(momentum=0.6), shape=(3,2,7))
bn('bn14_train',14,3,dict(training_mode=1,momentum=0.5), shape=(4,3))
bn('bn15_train_y',15,1,dict(training_mode=1),sess='ref')
bn('bn15_infer',15,1,dict(training_mode=0))
bn('bn9_infer',9,1,{})
# dropout
def drop(name, opset, ratio, tm, mask, const=False):
    ins=['x']+(['r'] if ratio is not None else [''])+(['t'] if tm is not None else [])
    while ins and ins[-1]=='': ins.pop()
    outs=['y','z'] if mask else ['y']
    node=helper.make_node('Dropout',ins,outs)
    feeds={'x':rng.standard_normal((3,4)).astype(np.float32)}
    inits=[]
    if ratio is not None: feeds['r']=np.array(ratio,dtype=np.float32)
    if tm is not None: feeds['t']=np.array(tm,dtype=np.bool_)
    if const:
        inits=[numpy_helper.from_array(v,k) for k,v in feeds.items() if k!='x']
        feeds={'x':feeds['x']}
    g=helper.make_graph([node],name,[vi(k,TP.FLOAT if k!='t' else TP.BOOL,list(a.shape)) for k,a in feeds.items()],[vi('y',TP.FLOAT,None)]+([vi('z',TP.BOOL,None)] if mask else []),initializer=inits)
    m=helper.make_model(g,opset_imports=[helper.make_opsetid('',opset)])
    ref=ReferenceEvaluator(m).run(None,feeds)
    save(name,m,feeds,ref)
drop('drop_tm_false_ratio',13,0.5,False,True)
drop('drop_tm_const0',13,0.0,True,True,const=True)
drop('drop_tm_noratio',12,None,False,True)
drop('drop_tm_const_half',13,0.5,True,False,const=True)
# training BN with constant parameters (passes must not split it)
def bnc(name, opset, nout, attrs):
    outs=['y','om','ov','sm','sv'][:nout]
    c=3
    node=helper.make_node('BatchNormalization',['x','s','b','m','v'],outs,**attrs)
    x=rng.standard_normal((2,3,4)).astype(np.float32)
    p=dict(s=rng.standard_normal(c).astype(np.float32),b=rng.standard_normal(c).astype(np.float32),m=rng.standard_normal(c).astype(np.float32),v=rng.random(c).astype(np.float32))
    g=helper.make_graph([node],name,[vi('x',TP.FLOAT,[2,3,4])],[vi(o,TP.FLOAT,None) for o in outs],initializer=[numpy_helper.from_array(a,k) for k,a in p.items()])
    m=helper.make_model(g,opset_imports=[helper.make_opsetid('',opset)]); m.ir_version=8
    ref=ort.InferenceSession(m.SerializeToString(),providers=['CPUExecutionProvider']).run(None,{'x':x})
    save(name,m,{'x':x},ref)
bnc('bnc15',15,3,dict(training_mode=1))
bnc('bnc9',9,5,{})
opt('adam_drop_group','Adam',2,TP.FLOAT,TP.FLOAT,2,{}, drop=('X0_new','V0_new','H0_new'))
opt('mom_drop_first','Momentum',2,TP.FLOAT,TP.FLOAT,1,dict(alpha=0.9,beta=0.5,norm_coefficient=0.1,mode='standard'), drop=('X0_new',))
